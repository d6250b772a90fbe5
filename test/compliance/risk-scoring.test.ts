import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient } from "@connectrpc/connect";
import { MfaType } from "../../gen/platform/user/v1/common_pb.js";
import { ComplianceService, KycLevel, KycStatus } from "../../gen/platform/user/v1/compliance_service_pb.js";
import { SessionService } from "../../gen/platform/user/v1/session_service_pb.js";
import { deliverableEmail, JOB_SETUP_TIMEOUT_MS, JOB_SETUPS, SCREENING_ENV } from "../support/compliance.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { eventually } from "../support/eventually.js";
import { authClient, profileClient, registerUser, registerWithRole, type RegisteredUser } from "../support/factories.js";
import { enrolTotp, startChallenge } from "../support/mfa.js";


describe.each(JOB_SETUPS)("risk scoring and the security protocols, %s", (_, setup) => {
  let t: TestApp;
  let officer: RegisteredUser;

  beforeAll(async () => {
    t = await startTestApp({
      ...setup,
      // A new account with nothing verified scores 20; three failed attempts (12) take it over 30.
      env: { HIGH_RISK_THRESHOLD: "30", REGISTRATIONS_PER_IP_PER_HOUR: "10000", LOGIN_SLOWDOWN_BASE_MS: "0", SANCTIONS_LIST_FILE: SCREENING_ENV.SANCTIONS_LIST_FILE },
    });
    officer = await registerWithRole(t, "compliance_officer");
  }, JOB_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  const profileRow = (userId: string) => t.db.selectFrom("compliance_profiles").selectAll().where("user_id", "=", userId).executeTakeFirst();
  const scoringJobs = (userId: string) =>
    t.db.selectFrom("outbox").select("id").where("queue", "=", "risk-scoring").where("payload", "@>", JSON.stringify({ userId }) as never).execute().then((rows) => rows.length);
  /** activeUser is verified (a clean name at a deliverable address) and active. */
  const activeUser = async () => {
    const user = await registerUser(t, { email: deliverableEmail("scored"), fullName: "Margaret Okonkwo-Hale" });
    await eventually(() => t.db.selectFrom("users").select("status").where("id", "=", user.userId).executeTakeFirstOrThrow(), (row) => row.status === "active", 10_000, "verification");
    return user;
  };
  const countOf = (userId: string, action: string) =>
    t.db.selectFrom("audit_trail").select("id").where("resource_id", "=", userId).where("action", "=", action).execute().then((rows) => rows.length);
  const login = (user: RegisteredUser, password = user.password) => authClient(t).login({ email: user.email, password });

  it("scores a user after each sign-in from the factors it explains, visible in the compliance profile", async () => {
    const user = await activeUser();
    const jobsBefore = await scoringJobs(user.userId);
    await login(user);
    expect(await scoringJobs(user.userId)).toBe(jobsBefore + 1); // queued with the sign-in
    await eventually(() => profileRow(user.userId), (row) => row?.scored_at !== null && row?.scored_at !== undefined, 10_000, "the risk-scoring job");
    const outcome = await t.app.context.riskScoring.score(user.userId);
    expect(outcome!.protocols).toEqual([]);
    const row = await profileRow(user.userId);
    expect(row!.risk_factors).toEqual(expect.arrayContaining([{ code: "new_account", weight: 10 }, { code: "kyc_level_none", weight: 10 }]));
    // The sign-in's own score (a device the account never used) counts for 40 % of it.
    const signIn = await t.db.selectFrom("sessions").select("risk_score").where("user_id", "=", user.userId).orderBy("created_at", "desc").executeTakeFirstOrThrow();
    const fromSignIn = Math.round(signIn.risk_score * 0.4);
    expect(row!.risk_factors.find((factor) => factor.code === "sign_in_risk")?.weight ?? 0).toBe(fromSignIn);
    expect(row!.risk_score).toBe(20 + fromSignIn);
    const profile = await createClient(ComplianceService, t.transport({ token: officer.accessToken })).getComplianceProfile({ userId: user.userId });
    expect(profile.riskScore).toBe(row!.risk_score);
    expect(profile.riskFactors).toEqual(row!.risk_factors.map((factor) => factor.code));
  });

  it("above HIGH_RISK_THRESHOLD alerts, locks the account for a while and asks its next sign-ins for more, each once; a KYC decision clears the step-up", async () => {
    const user = await activeUser();
    for (let i = 0; i < 3; i++) await expect(login(user, "wrong-password-1234")).rejects.toMatchObject({ code: Code.Unauthenticated });
    const signedIn = await login(user);
    const row = await eventually(() => profileRow(user.userId), (found) => found?.alerted_at !== null && found?.alerted_at !== undefined, 10_000, "the security protocols");
    expect(row).toMatchObject({ step_up_required: true, review_reason: "high_risk", alerted_at: expect.any(Date), locked_at: expect.any(Date) });
    expect(row!.risk_score).toBeGreaterThanOrEqual(30);
    expect(row!.risk_factors).toEqual(expect.arrayContaining([{ code: "failed_attempts", weight: 12 }]));

    // 1. the alert: audited, a notification job, the metric
    expect(await countOf(user.userId, "security.high_risk_alert")).toBe(1);
    const notifications = await t.db.selectFrom("outbox").select("payload").where("queue", "=", "notifications").where("job_name", "=", "security-alert").execute();
    expect(notifications).toContainEqual({ payload: { userId: user.userId } });
    expect(await t.app.context.metrics.getSingleMetricAsString("high_risk_alerts_total")).toMatch(/high_risk_alerts_total [1-9]/);
    // 2. the lock, with an end, and the session it ended
    const account = await t.db.selectFrom("users").select(["status", "locked_until"]).where("id", "=", user.userId).executeTakeFirstOrThrow();
    expect(account.status).toBe("locked");
    expect(account.locked_until!.getTime()).toBeGreaterThan(Date.now() + 23 * 3600 * 1000);
    const tokens = signedIn.result.case === "tokens" ? signedIn.result.value : undefined;
    await expect(profileClient(t, tokens!.accessToken).getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });

    // Scored again within the episode: nothing runs twice.
    await expect(t.app.context.riskScoring.score(user.userId)).resolves.toMatchObject({ protocols: [] });
    expect(await countOf(user.userId, "security.high_risk_alert")).toBe(1);
    expect(await t.db.selectFrom("user_status_history").select("id").where("user_id", "=", user.userId).where("reason", "=", "high_risk").execute()).toHaveLength(1);

    // 3. once the lock has ended, a sign-in needs a second factor; this user has none to give.
    await t.db.updateTable("users").set({ locked_until: new Date(Date.now() - 1_000) }).where("id", "=", user.userId).execute();
    await expect(login(user)).rejects.toMatchObject({ code: Code.FailedPrecondition, rawMessage: expect.stringContaining("additional verification") });

    await createClient(ComplianceService, t.transport({ token: officer.accessToken })).updateKycStatus({
      userId: user.userId,
      kycStatus: KycStatus.APPROVED,
      kycLevel: KycLevel.BASIC,
      reason: "spoke to the user; the failed attempts were theirs",
    });
    await expect(login(user)).resolves.toMatchObject({ result: { case: "tokens" } });
  });

  it("asks the step-up's second factor even from a device the user trusts", async () => {
    const user = await activeUser();
    // KYC done, so this new account's sign-ins from a new device stay below the suite's low threshold.
    await createClient(ComplianceService, t.transport({ token: officer.accessToken })).updateKycStatus({ userId: user.userId, kycStatus: KycStatus.APPROVED, kycLevel: KycLevel.BASIC, reason: "verified" });
    const { backupCodes } = await enrolTotp(t, user);
    const first = await startChallenge(t, user, { deviceId: "tablet-1" });
    const { tokens } = await authClient(t).completeMfaChallenge({ challengeId: first.challengeId, code: backupCodes[0]!, mfaType: MfaType.BACKUP_CODE });
    await createClient(SessionService, t.transport({ token: tokens!.accessToken })).trustDevice({ sessionId: tokens!.sessionId, trusted: true });
    const fromTablet = () => authClient(t).login({ email: user.email, password: user.password, device: { deviceId: "tablet-1" } });
    expect((await fromTablet()).result.case).toBe("tokens");

    // What the security protocols leave behind: the step-up flag.
    await t.db.updateTable("compliance_profiles").set({ step_up_required: true }).where("user_id", "=", user.userId).execute();
    expect((await fromTablet()).result.case).toBe("mfaChallenge");
  });
});
