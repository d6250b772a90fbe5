import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { sql } from "kysely";
import { Code } from "@connectrpc/connect";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, profileClient, registerUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const DAY_MS = 24 * 3600 * 1000;

describeWithServices("AuthService", () => {
  let t: TestApp;
  // The service reads time only through this clock, so a test can age a refresh token by moving it.
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };

  beforeAll(async () => {
    // Idle sessions end after SESSION_IDLE_TIMEOUT (7 days by default); these tests age tokens, not idleness.
    t = await startTestApp({ clock, env: { REGISTRATIONS_PER_IP_PER_HOUR: "1000", SESSION_IDLE_TIMEOUT: "60d" } });
  });
  afterAll(() => t?.close());

  const refresh = (refreshToken: string) => authClient(t).refreshToken({ refreshToken });

  /** Presents refreshToken and returns the rotated set; fails the test when it is refused. */
  async function rotate(refreshToken: string) {
    const { tokens } = await refresh(refreshToken);
    if (!tokens) throw new Error("RefreshToken answered without tokens");
    return tokens;
  }

  describe("RefreshToken", () => {
    it("rotates both tokens within the same session and spends the presented one", async () => {
      const user = await registerUser(t);

      const first = await rotate(user.refreshToken);
      expect(first.userId).toBe(user.userId);
      expect(first.sessionId).toBe(user.sessionId);
      expect(first.accessToken).not.toBe(user.accessToken);
      expect(first.refreshToken).not.toBe(user.refreshToken);
      expect(first.expiresIn).toBe(3600);
      const profile = await profileClient(t, first.accessToken).getProfile({});
      expect(profile.userId).toBe(user.userId);

      // The rotated token is itself good for one more rotation, in the same session.
      const second = await rotate(first.refreshToken);
      expect(second.sessionId).toBe(user.sessionId);
      expect(second.refreshToken).not.toBe(first.refreshToken);

      await expect(refresh(user.refreshToken)).rejects.toMatchObject({ code: Code.Unauthenticated });
    });

    it("revokes the whole session when a spent refresh token is presented again", async () => {
      const user = await registerUser(t);
      const rotated = await rotate(user.refreshToken);

      await expect(refresh(user.refreshToken)).rejects.toMatchObject({ code: Code.Unauthenticated });

      // Everything the session ever issued is dead, including what the legitimate rotation handed out.
      await expect(refresh(rotated.refreshToken)).rejects.toMatchObject({ code: Code.Unauthenticated });
      for (const accessToken of [rotated.accessToken, user.accessToken]) {
        await expect(profileClient(t, accessToken).getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
      }
      const session = await t.db.selectFrom("sessions").select(["revoked_at", "revoke_reason"]).where("id", "=", user.sessionId).executeTakeFirstOrThrow();
      expect(session.revoked_at).toBeInstanceOf(Date);
      expect(session.revoke_reason).toBe("refresh_token_reuse");
      const audit = await t.db
        .selectFrom("audit_trail")
        .select(["resource_type", "new_values", "compliance_relevant"])
        .where("action", "=", "auth.refresh_token_reuse")
        .where("resource_id", "=", user.sessionId)
        .execute();
      expect(audit).toEqual([{ resource_type: "session", new_values: { userId: user.userId, revoked: true }, compliance_relevant: true }]);
    });

    it("lets exactly one of two concurrent presentations of one token succeed", async () => {
      const user = await registerUser(t);

      const results = await Promise.allSettled([refresh(user.refreshToken), refresh(user.refreshToken)]);

      const fulfilled = results.filter((r) => r.status === "fulfilled");
      const rejected = results.filter((r) => r.status === "rejected");
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]?.reason).toMatchObject({ code: Code.Unauthenticated });
    });

    it("refuses a refresh token it never issued", async () => {
      await expect(refresh("not-a-token-this-service-issued")).rejects.toMatchObject({ code: Code.Unauthenticated });
      await expect(refresh("A".repeat(43))).rejects.toMatchObject({ code: Code.Unauthenticated });
    });

    it("rejects an empty refresh token as invalid input", async () => {
      await expect(refresh("")).rejects.toMatchObject({ code: Code.InvalidArgument });
    });

    it("refuses a refresh token older than 30 days and accepts a younger one", async () => {
      try {
        const user = await registerUser(t);

        offsetMs = 29 * DAY_MS;
        const rotated = await rotate(user.refreshToken);

        offsetMs = (29 + 31) * DAY_MS;
        await expect(refresh(rotated.refreshToken)).rejects.toMatchObject({ code: Code.Unauthenticated });
      } finally {
        offsetMs = 0;
      }
    });

    it("refuses the refresh token of a suspended user", async () => {
      const user = await registerUser(t);
      await t.db.updateTable("users").set({ status: "suspended" }).where("id", "=", user.userId).execute();

      await expect(refresh(user.refreshToken)).rejects.toMatchObject({ code: Code.Unauthenticated });
    });

    it("refuses a fresh refresh token of a session that has itself expired", async () => {
      const user = await registerUser(t);
      // The earliest expiry the database allows: just after the session began, which is already past.
      await t.db.updateTable("sessions").set({ expires_at: sql<Date>`created_at + interval '1 millisecond'` }).where("id", "=", user.sessionId).execute();

      await expect(refresh(user.refreshToken)).rejects.toMatchObject({ code: Code.Unauthenticated });
    });
  });
});
