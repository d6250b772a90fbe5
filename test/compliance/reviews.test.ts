import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createClient } from "@connectrpc/connect";
import { UserRegistrationResponse_VerificationStatus as VerificationStatus } from "../../gen/platform/user/v1/auth_service_pb.js";
import { ComplianceService, KycLevel, KycStatus } from "../../gen/platform/user/v1/compliance_service_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { ManualClock } from "../support/clock.js";
import { eventually } from "../support/eventually.js";
import { profileClient, registerUser, registerWithRole, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const withServices = await servicesAvailable();
const setups: Array<[string, { embedded?: boolean; runWorkers?: boolean }]> = [["embedded", { embedded: true }]];
if (withServices) setups.push(["Postgres and Redis", { runWorkers: true }]);
const DAY_MS = 24 * 3600 * 1000;

describe.each(setups)("periodic reviews, %s", (_, setup) => {
  let t: TestApp;
  let clock: ManualClock;
  let officer: RegisteredUser;

  beforeAll(async () => {
    clock = new ManualClock();
    t = await startTestApp({ ...setup, clock, env: { REGISTRATIONS_PER_IP_PER_HOUR: "10000" } });
    officer = await registerWithRole(t, "compliance_officer");
  });
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
    const scheduled = await t.db.selectFrom("job_schedules").select("name").execute();
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
    // What the risk-scoring job writes: one user's score into the medium band, the other's within the low one.
    await t.db.updateTable("compliance_profiles").set({ risk_score: 45 }).where("user_id", "=", rose.userId).execute();
    await t.db.updateTable("compliance_profiles").set({ risk_score: 25 }).where("user_id", "=", moved.userId).execute();
    await t.app.context.reviews.sweep();
    expect(await reviewsOpened(rose.userId)).toEqual([{ new_values: expect.objectContaining({ reviewReason: "risk_rating_increased", riskRating: "medium", reviewedRiskRating: "low" }) }]);
    expect(await reviewsOpened(moved.userId)).toEqual([]);
  });
});
