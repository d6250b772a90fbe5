import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { accessTokenVerifier } from "../../docs/examples/verify-access-token.js";
import { API_SERVICES } from "../../src/rpc/router.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { registerUser, registerWithRole, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;
const run = promisify(execFile);

const GUIDE = readFileSync(new URL("../../docs/operators.md", import.meta.url), "utf8");
const BUF = createRequire(import.meta.url).resolve("@bufbuild/buf/bin/buf");

/** The guide's shell examples, in order, with their line continuations joined. */
const commands = [...GUIDE.matchAll(/```sh\n([\s\S]*?)```/g)].map((block) => block[1]!.replace(/\\\n\s*/g, "").trim());

describeWithServices("the operator guide's commands", () => {
  let t: TestApp;
  let user: RegisteredUser;
  let admin: RegisteredUser;
  let target: RegisteredUser;

  beforeAll(async () => {
    t = await startTestApp();
    user = await registerUser(t);
    admin = await registerWithRole(t, "admin");
    target = await registerUser(t);
  });
  afterAll(() => t?.close());

  it("show a buf curl call for every service", () => {
    const called = new Set(commands.flatMap((command) => [...command.matchAll(/platform\.user\.v1\.(\w+)\//g)].map((m) => m[1])));
    expect([...called].sort()).toEqual(API_SERVICES.map((service) => service.name).sort());
  });

  it("all work against a running server, in the order shown", async () => {
    const env = { ...process.env, ACCESS_TOKEN: user.accessToken, ADMIN_TOKEN: admin.accessToken, USER_ID: target.userId };
    for (const command of commands) {
      // As written, but against this server, with buf from the project and curl failing on an error status.
      const runnable = command
        .replaceAll("http://127.0.0.1:8080", t.baseUrl)
        .replace(/^npx buf /, `"${process.execPath}" "${BUF}" `)
        .replace(/^curl -s /, "curl -sS --fail-with-body ");
      const { stdout } = await run("bash", ["-c", runnable], { env }).catch((error: { stderr?: string; stdout?: string }) => {
        throw new Error(`${command}\nfailed: ${error.stderr ?? ""} ${error.stdout ?? ""}`);
      });
      expect(() => JSON.parse(stdout)).not.toThrow();
    }
  });

  it("verifies access tokens offline as the example shows, and refuses what is no access token", async () => {
    const verify = accessTokenVerifier({ jwksUrl: `${t.baseUrl}/.well-known/jwks.json`, issuer: "user-service", audience: "platform" });
    await expect(verify(user.accessToken)).resolves.toEqual({ userId: user.userId, sessionId: user.sessionId, authenticationMethods: ["pwd"] });

    const [header, payload, signature] = user.accessToken.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString()) as Record<string, unknown>;
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: admin.userId })).toString("base64url")}.${signature}`;
    await expect(verify(forged)).rejects.toThrow();
    await expect(verify(user.refreshToken)).rejects.toThrow();
  });
});
