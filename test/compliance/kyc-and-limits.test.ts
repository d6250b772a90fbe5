import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { UserRegistrationResponse_VerificationStatus as VerificationStatus } from "../../gen/platform/user/v1/auth_service_pb.js";
import { UserStatus } from "../../gen/platform/user/v1/common_pb.js";
import { ComplianceService, KycLevel, KycStatus } from "../../gen/platform/user/v1/compliance_service_pb.js";
import { JOB_SETUP_TIMEOUT_MS, JOB_SETUPS } from "../support/compliance.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { eventually } from "../support/eventually.js";
import { profileClient, registerUser, registerWithRole, type RegisteredUser } from "../support/factories.js";
import { addMember, createOrganization } from "../support/organizations.js";

const YEAR_MS = 365 * 24 * 3600 * 1000;

describe.each(JOB_SETUPS)("KYC decisions and trading limits, %s", (_, setup) => {
  let t: TestApp;
  let officer: RegisteredUser;
  let second: RegisteredUser;

  beforeAll(async () => {
    t = await startTestApp({ ...setup, env: { REGISTRATIONS_PER_IP_PER_HOUR: "10000" } });
    [officer, second] = await Promise.all([registerWithRole(t, "compliance_officer"), registerWithRole(t, "compliance_officer")]);
  }, JOB_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  const compliance = (caller: RegisteredUser) => createClient(ComplianceService, t.transport({ token: caller.accessToken }));
  /** decidedUser is a user whose automatic verification asked for more (an address under example.com), so an officer decides. */
  const decidedUser = async () => {
    const user = await registerUser(t);
    await eventually(() => profileClient(t, user.accessToken).getProfile({}), (p) => p.verificationStatus !== VerificationStatus.PENDING, 10_000);
    return user;
  };
  const auditOf = (userId: string, action: string) =>
    t.db.selectFrom("audit_trail").select(["actor_user_id", "old_values", "new_values", "reason"]).where("resource_id", "=", userId).where("action", "=", action).orderBy("created_at").execute();

  describe("UpdateKycStatus", () => {
    it("approves: KYC status and level, VERIFIED and ACTIVE, the level's limits, the review closed and the next one dated, audited", async () => {
      const user = await decidedUser();
      const before = Date.now();
      const profile = await compliance(officer).updateKycStatus({ userId: user.userId, kycStatus: KycStatus.APPROVED, kycLevel: KycLevel.STANDARD, reason: "passport and proof of address checked" });
      expect(profile).toMatchObject({
        userId: user.userId,
        kycStatus: KycStatus.APPROVED,
        kycLevel: KycLevel.STANDARD,
        tradingLimits: { dailyLimit: "100000.00", positionSizeLimit: "50000.00", currency: "USD" },
        reviewReason: "",
      });
      // A low-risk profile is next due in three years.
      expect(timestampDate(profile.nextReviewAt!).getTime()).toBeGreaterThanOrEqual(before + 3 * YEAR_MS - 1_000);
      await expect(profileClient(t, user.accessToken).getProfile({})).resolves.toMatchObject({ verificationStatus: VerificationStatus.VERIFIED, status: UserStatus.ACTIVE });
      expect(await auditOf(user.userId, "compliance.kyc_update")).toEqual([
        {
          actor_user_id: officer.userId,
          old_values: { kycStatus: "not_started", kycLevel: 0, verificationStatus: "requires_additional_verification", reviewReason: null },
          new_values: { kycStatus: "approved", kycLevel: 2, verificationStatus: "verified", reviewReason: null },
          reason: "passport and proof of address checked",
        },
      ]);
      const history = await t.db.selectFrom("user_status_history").select(["new_status", "reason", "changed_by"]).where("user_id", "=", user.userId).execute();
      expect(history).toEqual([{ new_status: "active", reason: "kyc_approved", changed_by: officer.userId }]);
    });

    it("rejects: REQUIRES_ADDITIONAL_VERIFICATION, and a pending status makes verification PENDING again", async () => {
      const user = await decidedUser();
      await compliance(officer).updateKycStatus({ userId: user.userId, kycStatus: KycStatus.PENDING, kycLevel: KycLevel.NONE, reason: "documents received" });
      await expect(profileClient(t, user.accessToken).getProfile({})).resolves.toMatchObject({ verificationStatus: VerificationStatus.PENDING });
      await compliance(officer).updateKycStatus({ userId: user.userId, kycStatus: KycStatus.REJECTED, kycLevel: KycLevel.NONE, reason: "the passport has expired" });
      await expect(profileClient(t, user.accessToken).getProfile({})).resolves.toMatchObject({
        verificationStatus: VerificationStatus.REQUIRES_ADDITIONAL_VERIFICATION,
        status: UserStatus.PENDING_VERIFICATION,
      });
    });

    it("refuses an approval without a level, a decision without a reason, and callers who are not compliance officers", async () => {
      const user = await decidedUser();
      await expect(compliance(officer).updateKycStatus({ userId: user.userId, kycStatus: KycStatus.APPROVED, kycLevel: KycLevel.NONE, reason: "x" })).rejects.toMatchObject({ code: Code.InvalidArgument });
      await expect(compliance(officer).updateKycStatus({ userId: user.userId, kycStatus: KycStatus.APPROVED, kycLevel: KycLevel.BASIC, reason: "" })).rejects.toMatchObject({ code: Code.InvalidArgument });
      await expect(compliance(user).updateKycStatus({ userId: user.userId, kycStatus: KycStatus.APPROVED, kycLevel: KycLevel.BASIC, reason: "me" })).rejects.toMatchObject({ code: Code.PermissionDenied });
      await expect(compliance(officer).updateKycStatus({ userId: "7d1c1d0e-5b7e-4f43-9d49-3a1f1e0b8c11", kycStatus: KycStatus.PENDING, kycLevel: KycLevel.NONE, reason: "x" })).rejects.toMatchObject({ code: Code.NotFound });
      expect(await auditOf(user.userId, "compliance.kyc_update")).toEqual([]);
    });
  });

  describe("SetTradingLimits", () => {
    const approvedUser = async (level = KycLevel.BASIC) => {
      const user = await decidedUser();
      await compliance(officer).updateKycStatus({ userId: user.userId, kycStatus: KycStatus.APPROVED, kycLevel: level, reason: "verified" });
      return user;
    };

    it("puts limits within the KYC level's defaults into effect at once, audited with old and new", async () => {
      const user = await approvedUser();
      const profile = await compliance(officer).setTradingLimits({ userId: user.userId, tradingLimits: { dailyLimit: "2500.5", positionSizeLimit: "1000", currency: "USD" }, reason: "new trader" });
      expect(profile.tradingLimits).toMatchObject({ dailyLimit: "2500.50", positionSizeLimit: "1000.00", currency: "USD" });
      expect(profile.pendingTradingLimits).toBeUndefined();
      expect(await auditOf(user.userId, "compliance.limits_update")).toEqual([
        {
          actor_user_id: officer.userId,
          old_values: { tradingLimits: { dailyLimit: "10000.00", positionSizeLimit: "5000.00", currency: "USD" } },
          new_values: { tradingLimits: { dailyLimit: "2500.5", positionSizeLimit: "1000", currency: "USD" } },
          reason: "new trader",
        },
      ]);
    });

    it.each([
      ["above the level's defaults", { dailyLimit: "25000", positionSizeLimit: "1000", currency: "USD" }],
      ["without a daily limit", { dailyLimit: "", positionSizeLimit: "1000", currency: "USD" }],
      ["in another currency", { dailyLimit: "100", positionSizeLimit: "100", currency: "EUR" }],
    ])("keeps limits %s waiting for a second officer, who alone may approve them, once", async (_, limits) => {
      const user = await approvedUser();
      const asked = await compliance(officer).setTradingLimits({ userId: user.userId, tradingLimits: limits, reason: "desk head's request" });
      expect(asked.tradingLimits).toMatchObject({ dailyLimit: "10000.00", positionSizeLimit: "5000.00" });
      const pending = asked.pendingTradingLimits!;
      expect(pending).toMatchObject({ requestId: expect.any(String), requestedByUserId: officer.userId, reason: "desk head's request" });

      await expect(compliance(officer).approveTradingLimits({ requestId: pending.requestId, reason: "fine" })).rejects.toMatchObject({ code: Code.PermissionDenied });
      const approved = await compliance(second).approveTradingLimits({ requestId: pending.requestId, reason: "risk desk agrees" });
      expect(approved.profile!.tradingLimits).toMatchObject({ currency: limits.currency, dailyLimit: limits.dailyLimit ? `${limits.dailyLimit}.00` : "" });
      expect(approved.profile!.pendingTradingLimits).toBeUndefined();
      await expect(compliance(second).approveTradingLimits({ requestId: pending.requestId, reason: "again" })).rejects.toMatchObject({ code: Code.FailedPrecondition });
      const [audit] = await auditOf(user.userId, "compliance.limits_update");
      expect(audit).toMatchObject({ actor_user_id: second.userId, reason: "risk desk agrees", new_values: { requestId: pending.requestId, requestedBy: officer.userId } });
    });

    it("lets exactly one of two officers approving at once put a request into effect", async () => {
      const user = await approvedUser();
      const third = await registerWithRole(t, "compliance_officer");
      const asked = await compliance(officer).setTradingLimits({ userId: user.userId, tradingLimits: { dailyLimit: "50000", positionSizeLimit: "5000", currency: "USD" }, reason: "asked" });
      const outcomes = await Promise.allSettled([second, third].map((approver) => compliance(approver).approveTradingLimits({ requestId: asked.pendingTradingLimits!.requestId, reason: "ok" })));
      expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
      expect(outcomes.find((outcome) => outcome.status === "rejected")).toMatchObject({ reason: { code: Code.FailedPrecondition } });
      expect(await auditOf(user.userId, "compliance.limits_update")).toHaveLength(1);
    });

    it("replaces a waiting request with a newer one, and a rejected request changes nothing", async () => {
      const user = await approvedUser();
      const first = await compliance(officer).setTradingLimits({ userId: user.userId, tradingLimits: { dailyLimit: "50000", positionSizeLimit: "5000", currency: "USD" }, reason: "first" });
      const newer = await compliance(officer).setTradingLimits({ userId: user.userId, tradingLimits: { dailyLimit: "60000", positionSizeLimit: "5000", currency: "USD" }, reason: "newer" });
      expect(newer.pendingTradingLimits!.requestId).not.toBe(first.pendingTradingLimits!.requestId);
      await expect(compliance(second).approveTradingLimits({ requestId: first.pendingTradingLimits!.requestId, reason: "ok" })).rejects.toMatchObject({ code: Code.FailedPrecondition });
      const rejected = await compliance(second).rejectTradingLimits({ requestId: newer.pendingTradingLimits!.requestId, reason: "no trading history" });
      expect(rejected.profile).toMatchObject({ tradingLimits: { dailyLimit: "10000.00" } });
      expect(rejected.profile!.pendingTradingLimits).toBeUndefined();
      expect(await auditOf(user.userId, "compliance.limits_rejected")).toEqual([expect.objectContaining({ actor_user_id: second.userId, reason: "no trading history" })]);
    });
  });

  describe("an organization's compliance members", () => {
    it("decide KYC and limits for their organization's members only, naming the organization", async () => {
      const admin = await registerUser(t);
      const organizationId = await createOrganization(t, admin);
      const [orgOfficer, member, outsider] = await Promise.all([registerUser(t), decidedUser(), decidedUser()]);
      await addMember(t, organizationId, orgOfficer, "compliance");
      await addMember(t, organizationId, member, "trader");
      const decision = { kycStatus: KycStatus.APPROVED, kycLevel: KycLevel.BASIC, reason: "checked by the firm" };

      await expect(compliance(orgOfficer).updateKycStatus({ userId: member.userId, ...decision, organizationId })).resolves.toMatchObject({ kycStatus: KycStatus.APPROVED });
      await expect(compliance(orgOfficer).getComplianceProfile({ userId: member.userId, organizationId })).resolves.toMatchObject({ kycLevel: KycLevel.BASIC });
      await expect(compliance(orgOfficer).updateKycStatus({ userId: outsider.userId, ...decision, organizationId })).rejects.toMatchObject({ code: Code.PermissionDenied });
      await expect(compliance(orgOfficer).updateKycStatus({ userId: member.userId, ...decision })).rejects.toMatchObject({ code: Code.PermissionDenied });
      await expect(compliance(admin).updateKycStatus({ userId: member.userId, ...decision, organizationId })).rejects.toMatchObject({ code: Code.PermissionDenied });
    });
  });
});
