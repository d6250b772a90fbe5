import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code } from "@connectrpc/connect";
import { createLogger } from "../../src/platform/logger.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, profileClient, registerUser, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("structured logs", () => {
  let t: TestApp;
  let lines: string[];

  beforeAll(async () => {
    lines = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        done();
      },
    });
    t = await startTestApp({ log: createLogger("trace", sink) });
  });
  afterAll(() => t?.close());

  async function exerciseEveryCredential(): Promise<{ user: RegisteredUser; secrets: string[] }> {
    const user = await registerUser(t);
    const login = await authClient(t).login({ email: user.email, password: user.password });
    const tokens = login.result.case === "tokens" ? login.result.value : undefined;
    await authClient(t).login({ email: user.email, password: `${user.password}-wrong` }).catch(() => undefined);
    const refreshed = await authClient(t).refreshToken({ refreshToken: tokens!.refreshToken });
    await authClient(t).refreshToken({ refreshToken: tokens!.refreshToken }).catch(() => undefined); // reuse: revokes
    await profileClient(t, user.accessToken).getProfile({});
    await expect(profileClient(t, "not.a.token").getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    return {
      user,
      secrets: [user.password, user.accessToken, user.refreshToken, tokens!.accessToken, tokens!.refreshToken, refreshed.tokens!.refreshToken],
    };
  }

  it("writes one JSON line per call with its request id, method and code", async () => {
    await exerciseEveryCredential();
    const calls = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === "rpc");
    expect(calls.length).toBeGreaterThanOrEqual(7);
    for (const call of calls) expect(call).toMatchObject({ requestId: expect.any(String), rpc: expect.any(String), code: expect.any(String), ms: expect.any(Number) });
    expect(calls.map((c) => c.code)).toEqual(expect.arrayContaining(["ok", "unauthenticated"]));
  });

  it("never logs a password or a token, even at trace level", async () => {
    const { secrets } = await exerciseEveryCredential();
    const everything = lines.join("\n");
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});
