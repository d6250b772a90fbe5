import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createClient } from "@connectrpc/connect";
import { UserRegistrationResponse_VerificationStatus as VerificationStatus } from "../../gen/platform/user/v1/auth_service_pb.js";
import { ComplianceService, KycLevel, KycStatus } from "../../gen/platform/user/v1/compliance_service_pb.js";
import { JOB_SETUP_TIMEOUT_MS, JOB_SETUPS } from "../support/compliance.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { ManualClock } from "../support/clock.js";
import { eventually } from "../support/eventually.js";
import { authClient, profileClient, registerUser, registerWithRole, type RegisteredUser } from "../support/factories.js";

const DAY_MS = 24 * 3600 * 1000;

describe.each(JOB_SETUPS)("periodic reviews, %s", (_, setup) => {
  let t: TestApp;
  let clock: ManualClock;
  let officer: RegisteredUser;

  beforeAll(async () => {
    clock = new ManualClock();
    t = await startTestApp({ ...setup, clock, env: { REGISTRATIONS_PER_IP_PER_HOUR: "10000", LOGIN_SLOWDOWN_BASE_MS: "0" } });
    officer = await registerWithRole(t, "compliance_officer");
  }, JOB_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  const profileOf = (userId: string) => t.app.context.compliance.read(t.db, userId);
  const reviewsOpened = (userId: string) =>
    t.db.selectFrom("audit_trail").select("new_values").where("action", "=", "compliance.review_opened").where("resource_id", "=", userId).execute();
  /** approvedUser has been through a KYC decision: no review open, the next one dated. */
  const approvedUser = async () => {
    const user = await registerUser(t);
    await eventually(() => profileClient(t, user.accessToken).getProfile({}), (p) => p.verificationStatus !== VerificationStatus.PENDING, 10_000);
    await createClient(ComplianceService, t.transport({ token: officer.accessToken })).updateKycStatus({
      userId: user.userId,
      kycStatus: KycStatus.APPROVED,
      kycLevel: KycLevel.BASIC,
      reason: "verified",
    });
    return user;
  };

  it("queues the review sweep through the outbox as the service starts", async () => {
    const scheduled = await t.db.selectFrom("job_schedules").select("name").where("name", "=", "maintenance/review-profiles").execute();
    expect(scheduled).toEqual([{ name: "maintenance/review-profiles" }]);
    await eventually(
      () => t.db.selectFrom("outbox").select("dispatched_at").where("job_name", "=", "review-profiles").execute(),
      (rows) => rows.length === 1 && rows[0]!.dispatched_at !== null,
      10_000,
      "the first sweep",
    );
  });

  it("opens a review once the next review date has passed, once, and a KYC decision closes it", async () => {
    const user = await approvedUser();
    const due = (await profileOf(user.userId)).nextReviewAt!;
    await t.app.context.reviews.sweep();
    expect(await reviewsOpened(user.userId)).toEqual([]);

    clock.set(new Date(due.getTime() + DAY_MS));
    try {
      await t.app.context.reviews.sweep();
      await t.app.context.reviews.sweep();
      expect(await reviewsOpened(user.userId)).toEqual([{ new_values: { reviewReason: "periodic_review", riskRating: "low", nextReviewAt: due.toISOString() } }]);
      expect(await profileOf(user.userId)).toMatchObject({ reviewReason: "periodic_review" });

      // The officer's access token has long expired on this clock: the decision is made through the service.
      const asOfficer = { userId: officer.userId, sessionId: officer.sessionId, amr: ["pwd"], platformRoles: ["compliance_officer" as const] };
      await t.app.context.kyc.decide(asOfficer, { userId: user.userId, kycStatus: "approved", kycLevel: 1, reason: "annual review done", organizationId: undefined }, {});
      const after = await profileOf(user.userId);
      expect(after.reviewReason).toBeUndefined();
      expect(after.nextReviewAt!.getTime()).toBeGreaterThan(clock.now().getTime());
      await t.app.context.reviews.sweep();
      expect(await reviewsOpened(user.userId)).toHaveLength(1);
    } finally {
      clock.set(new Date());
    }
  });

  it("opens a review when the risk rating rose since the last review, not when the score moved within its band", async () => {
    const [rose, moved] = await Promise.all([approvedUser(), approvedUser()]);
    // Failed attempts raise the score: five take one user's into the medium band, one keeps the other's low.
    const fail = (user: RegisteredUser) => authClient(t).login({ email: user.email, password: "wrong-password-1234" }).catch(() => undefined);
    for (let i = 0; i < 5; i++) await fail(rose);
    await fail(moved);
    await expect(t.app.context.riskScoring.score(rose.userId)).resolves.toMatchObject({ score: 30 });
    await expect(t.app.context.riskScoring.score(moved.userId)).resolves.toMatchObject({ score: 14 });
    await t.app.context.reviews.sweep();
    expect(await reviewsOpened(rose.userId)).toEqual([{ new_values: expect.objectContaining({ reviewReason: "risk_rating_increased", riskRating: "medium", reviewedRiskRating: "low" }) }]);
    expect(await reviewsOpened(moved.userId)).toEqual([]);
  });
});
