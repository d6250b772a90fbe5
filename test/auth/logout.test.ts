import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code } from "@connectrpc/connect";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, profileClient, registerUser, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("AuthService", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  /** Signs the user in again, opening a second session of the same account. */
  async function secondSession(user: RegisteredUser) {
    const login = await authClient(t).login({ email: user.email, password: user.password });
    if (login.result.case !== "tokens") throw new Error(`expected tokens, got ${login.result.case}`);
    return login.result.value;
  }

  describe("Logout", () => {
    it("revokes the caller's session: its access and refresh tokens are refused", async () => {
      const user = await registerUser(t);

      await authClient(t, user.accessToken).logout({});

      await expect(profileClient(t, user.accessToken).getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
      await expect(authClient(t).refreshToken({ refreshToken: user.refreshToken })).rejects.toMatchObject({ code: Code.Unauthenticated });
      const session = await t.db.selectFrom("sessions").select(["revoked_at", "revoke_reason"]).where("id", "=", user.sessionId).executeTakeFirstOrThrow();
      expect(session.revoked_at).toBeInstanceOf(Date);
      expect(session.revoke_reason).toBe("logout");
    });

    it("leaves the user's other sessions working", async () => {
      const user = await registerUser(t);
      const other = await secondSession(user);
      expect(other.sessionId).not.toBe(user.sessionId);

      await authClient(t, user.accessToken).logout({});

      const profile = await profileClient(t, other.accessToken).getProfile({});
      expect(profile.userId).toBe(user.userId);
      const rotated = await authClient(t).refreshToken({ refreshToken: other.refreshToken });
      expect(rotated.tokens?.sessionId).toBe(other.sessionId);
    });

    it("records the sign-out in the audit trail", async () => {
      const user = await registerUser(t);

      await authClient(t, user.accessToken).logout({});

      const rows = await t.db
        .selectFrom("audit_trail")
        .select(["actor_user_id", "resource_type", "ip_address"])
        .where("action", "=", "auth.logout")
        .where("resource_id", "=", user.sessionId)
        .execute();
      expect(rows).toEqual([{ actor_user_id: user.userId, resource_type: "session", ip_address: "127.0.0.1" }]);
    });

    it("refuses a caller without an access token", async () => {
      await expect(authClient(t).logout({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    });
  });
});
