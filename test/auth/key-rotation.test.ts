import { generateKeyPairSync, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code } from "@connectrpc/connect";
import { decodeProtectedHeader, SignJWT, type JWK } from "jose";
import { loadSigningKey, type SigningKey } from "../../src/platform/crypto/access-tokens.js";
import { startTestApp, testSigningKey, type TestApp } from "../support/app.js";
import { profileClient, registerUser, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

/** accessTokenSignedWith mints a token exactly as the service does, with another key. */
function accessTokenSignedWith(key: SigningKey, user: RegisteredUser): Promise<string> {
  return new SignJWT({ sid: user.sessionId, amr: ["pwd"], client_id: "user-service" })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "at+jwt" })
    .setIssuer("user-service")
    .setAudience("platform")
    .setSubject(user.userId)
    .setIssuedAt()
    .setExpirationTime("1h")
    .setJti(randomUUID())
    .sign(key.privateKey);
}

describeWithServices("access-token key rotation (JWT_PREVIOUS_KEY_FILES)", () => {
  let t: TestApp;
  let dir: string;
  let retired: SigningKey;
  let unknown: SigningKey;
  let user: RegisteredUser;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-rotation-"));
    const keyFile = async (name: string) => {
      const file = path.join(dir, name);
      await fs.writeFile(file, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }));
      return file;
    };
    const retiredFile = await keyFile("retired.pem");
    retired = await loadSigningKey(retiredFile);
    unknown = await loadSigningKey(await keyFile("unknown.pem"));
    t = await startTestApp({ env: { JWT_PREVIOUS_KEY_FILES: retiredFile } });
    user = await registerUser(t);
  });
  afterAll(async () => {
    await t?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("signs new tokens with the current key only", async () => {
    expect(decodeProtectedHeader(user.accessToken).kid).toBe((await testSigningKey()).kid);
  });

  it("still accepts tokens signed with the retired key", async () => {
    const token = await accessTokenSignedWith(retired, user);
    await expect(profileClient(t, token).getProfile({})).resolves.toMatchObject({ userId: user.userId });
  });

  it("refuses tokens signed with a key it was never given", async () => {
    const token = await accessTokenSignedWith(unknown, user);
    await expect(profileClient(t, token).getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
  });

  it("publishes both keys, so other services verify the retired key's tokens until they expire", async () => {
    const { keys } = (await (await fetch(`${t.baseUrl}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
    expect(keys.map((k) => k.kid).sort()).toEqual([(await testSigningKey()).kid, retired.kid].sort());
    expect(keys.every((k) => k.d === undefined)).toBe(true);
  });
});
