import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { MfaType } from "../../gen/platform/user/v1/common_pb.js";
import { noSecondFactor, type SecondFactor } from "../../src/features/auth/index.js";
import type { SessionGrant } from "../../src/features/sessions/index.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, profileClient, registerUser, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("Login when the second-factor policy asks for one", () => {
  const asked: SessionGrant[] = [];
  const challengeId = randomUUID();
  // A policy that challenges every sign-in, as MFA will for a user with an active method.
  const alwaysChallenge: SecondFactor = {
    challenge: async (grant) => {
      asked.push(grant);
      return { challengeId, methods: ["totp", "backup_code"] };
    },
    complete: noSecondFactor.complete,
  };
  let t: TestApp;
  let user: RegisteredUser;
  beforeAll(async () => {
    t = await startTestApp({ services: { secondFactor: alwaysChallenge } });
    user = await registerUser(t);
  });
  afterAll(() => t?.close());

  const sessionsOf = (userId: string) => t.db.selectFrom("sessions").select("id").where("user_id", "=", userId).execute();
  const loginAudits = (userId: string) => t.db.selectFrom("audit_trail").select("id").where("action", "=", "auth.login").where("actor_user_id", "=", userId).execute();

  it("leaves Register alone: it opens its session without asking the policy", () => {
    expect(user.accessToken).not.toBe("");
    expect(asked).toEqual([]);
  });

  it("answers mfaChallenge with the policy's challenge and no tokens", async () => {
    const res = await authClient(t).login({ email: user.email, password: user.password, device: { deviceId: "laptop-1" } });
    expect(res.result.case).toBe("mfaChallenge");
    expect(res.result.value).toMatchObject({ challengeId, methods: [MfaType.TOTP, MfaType.BACKUP_CODE] });
    expect(asked.at(-1)).toMatchObject({ userId: user.userId, amr: ["pwd"], device: { deviceId: "laptop-1" } });
  });

  it("opens no session and records no sign-in until the challenge is answered", async () => {
    const before = { sessions: (await sessionsOf(user.userId)).length, audits: (await loginAudits(user.userId)).length };
    await authClient(t).login({ email: user.email, password: user.password });
    expect((await sessionsOf(user.userId)).length).toBe(before.sessions);
    expect((await loginAudits(user.userId)).length).toBe(before.audits);
  });

  it("still refuses a wrong password before asking the policy", async () => {
    const asks = asked.length;
    await expect(authClient(t).login({ email: user.email, password: "not-the-right-password-42" })).rejects.toMatchObject({ code: Code.Unauthenticated });
    expect(asked.length).toBe(asks);
  });

  it("leaves RefreshToken alone: an open session rotates its tokens as before", async () => {
    const rotated = await authClient(t).refreshToken({ refreshToken: user.refreshToken });
    expect(rotated.tokens?.refreshToken).not.toBe(user.refreshToken);
    await expect(profileClient(t, rotated.tokens!.accessToken).getProfile({})).resolves.toMatchObject({ userId: user.userId });
  });
});
