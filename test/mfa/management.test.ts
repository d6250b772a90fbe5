import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { Code } from "@connectrpc/connect";
import { MfaType } from "../../gen/platform/user/v1/common_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { ManualClock, midStep } from "../support/clock.js";
import { authClient, registerUser, type RegisteredUser } from "../support/factories.js";
import { failure } from "../support/failure.js";
import { enrolTotp, mfaClient, startChallenge, totpCode } from "../support/mfa.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const MINUTE = 60_000;

describeWithServices("managing second factors", () => {
  const clock = new ManualClock();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ clock, env: { REGISTRATIONS_PER_IP_PER_HOUR: "100000" } });
  });
  beforeEach(() => clock.set(midStep()));
  afterAll(() => t?.close());

  const enrol = (user: RegisteredUser) => enrolTotp(t, user, clock.now());
  const reason = async (call: Promise<unknown>) => {
    const error = await failure(call);
    return { code: error.code, reason: error.metadata.get("x-error-reason") };
  };

  /** answerChallenge signs the user in, answering the MFA challenge with a code of the given type. */
  async function answerChallenge(user: RegisteredUser, code: string, mfaType: MfaType) {
    const { challengeId } = await startChallenge(t, user);
    return authClient(t).completeMfaChallenge({ challengeId, code, mfaType });
  }

  describe("step-up", () => {
    it("lets a session opened in the last ten minutes set up the first method, and refuses an older one", async () => {
      const user = await registerUser(t);
      clock.advance(11 * MINUTE);
      expect(await reason(mfaClient(t, user.accessToken).setupMfa({ mfaType: MfaType.TOTP }))).toEqual({
        code: Code.FailedPrecondition,
        reason: "recent_sign_in_required",
      });
    });

    it("asks for a second factor in the last ten minutes to remove a method or regenerate backup codes", async () => {
      const user = await registerUser(t);
      const { methodId, secret } = await enrol(user);
      // Activating the method counted as this session's second factor: for ten minutes it may change MFA.
      clock.advance(11 * MINUTE);
      const stale = mfaClient(t, user.accessToken);
      const refused = { code: Code.FailedPrecondition, reason: "recent_second_factor_required" };
      expect(await reason(stale.removeMfaMethod({ methodId }))).toEqual(refused);
      expect(await reason(stale.regenerateBackupCodes({}))).toEqual(refused);

      // A fresh sign-in with the code of a later step than any used before.
      const { tokens: fresh } = await answerChallenge(user, await totpCode(secret, clock.now()), MfaType.TOTP);
      await expect(mfaClient(t, fresh!.accessToken).regenerateBackupCodes({})).resolves.toHaveProperty("backupCodes");
    });
  });

  describe("RemoveMfaMethod", () => {
    it("answers NOT_FOUND for another user's method and leaves it alone", async () => {
      const [owner, other] = [await registerUser(t), await registerUser(t)];
      const { methodId } = await enrol(owner);
      await expect(mfaClient(t, other.accessToken).removeMfaMethod({ methodId })).rejects.toMatchObject({ code: Code.NotFound });
      expect((await mfaClient(t, owner.accessToken).listMfaMethods({})).methods.map((m) => m.methodId)).toContain(methodId);
    });

    it("refuses to remove the backup codes on their own", async () => {
      const user = await registerUser(t);
      await enrol(user);
      const backup = (await mfaClient(t, user.accessToken).listMfaMethods({})).methods.find((m) => m.mfaType === MfaType.BACKUP_CODE)!;
      expect(await reason(mfaClient(t, user.accessToken).removeMfaMethod({ methodId: backup.methodId }))).toEqual({
        code: Code.FailedPrecondition,
        reason: "backup_codes_not_removable",
      });
    });

    it("turns MFA off with the last method: the backup codes go too, and sign-in no longer asks", async () => {
      const user = await registerUser(t);
      const { methodId, backupCodes } = await enrol(user);
      await mfaClient(t, user.accessToken).removeMfaMethod({ methodId });
      expect((await mfaClient(t, user.accessToken).listMfaMethods({})).methods).toEqual([]);
      expect(await t.db.selectFrom("mfa_backup_codes").select("id").where("user_id", "=", user.userId).execute()).toEqual([]);
      const login = await authClient(t).login({ email: user.email, password: user.password });
      expect(login.result.case).toBe("tokens");
      expect(backupCodes).toHaveLength(10);
    });
  });

  describe("RegenerateBackupCodes", () => {
    it("voids every earlier code and returns ten new ones that work", async () => {
      const user = await registerUser(t);
      const { backupCodes: old } = await enrol(user);
      const { backupCodes: fresh } = await mfaClient(t, user.accessToken).regenerateBackupCodes({});
      expect(fresh).toHaveLength(10);
      expect(fresh.filter((code) => old.includes(code))).toEqual([]);

      const answer = (code: string) => answerChallenge(user, code, MfaType.BACKUP_CODE);
      await expect(answer(old[0]!)).rejects.toMatchObject({ code: Code.Unauthenticated });
      // Typed in lower case without dashes, the new code still counts.
      await expect(answer(fresh[0]!.toLowerCase().replace(/-/g, ""))).resolves.toHaveProperty("tokens");
      await expect(answer(fresh[0]!)).rejects.toMatchObject({ code: Code.Unauthenticated });
      const { methods } = await mfaClient(t, user.accessToken).listMfaMethods({});
      expect(methods.find((m) => m.mfaType === MfaType.BACKUP_CODE)?.remainingBackupCodes).toBe(9);
    });

    it("answers FAILED_PRECONDITION without an active method", async () => {
      const user = await registerUser(t);
      expect(await reason(mfaClient(t, user.accessToken).regenerateBackupCodes({}))).toEqual({ code: Code.FailedPrecondition, reason: "mfa_not_active" });
    });
  });

  it("audits every change without a secret or code in the values", async () => {
    const user = await registerUser(t);
    const { methodId, secret, backupCodes } = await enrol(user);
    const { backupCodes: regenerated } = await mfaClient(t, user.accessToken).regenerateBackupCodes({});
    await mfaClient(t, user.accessToken).removeMfaMethod({ methodId });
    const rows = await t.db
      .selectFrom("audit_trail")
      .select(["action", "resource_id", "old_values", "new_values"])
      .where("actor_user_id", "=", user.userId)
      .where("action", "like", "mfa.%")
      .orderBy("seq")
      .execute();
    expect(rows.map((row) => row.action)).toEqual(["mfa.setup", "mfa.activate", "mfa.backup_codes_regenerate", "mfa.remove"]);
    const values = JSON.stringify(rows);
    for (const secretValue of [secret, ...backupCodes, ...regenerated]) expect(values).not.toContain(secretValue);
  });
});
