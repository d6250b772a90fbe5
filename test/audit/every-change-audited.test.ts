import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { MethodOptions_IdempotencyLevel, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, type Client } from "@connectrpc/connect";
import type { DescService } from "@bufbuild/protobuf";
import { AuditService } from "../../gen/platform/user/v1/audit_service_pb.js";
import { AuthService } from "../../gen/platform/user/v1/auth_service_pb.js";
import { MfaType, OrgRole, UserStatus } from "../../gen/platform/user/v1/common_pb.js";
import { ComplianceService, KycLevel, KycStatus } from "../../gen/platform/user/v1/compliance_service_pb.js";
import { MfaService } from "../../gen/platform/user/v1/mfa_service_pb.js";
import { OrganizationService, OrganizationType, SubscriptionTier } from "../../gen/platform/user/v1/organization_service_pb.js";
import { PreferencesService, Theme } from "../../gen/platform/user/v1/preferences_service_pb.js";
import { ProfileService } from "../../gen/platform/user/v1/profile_service_pb.js";
import { SessionService } from "../../gen/platform/user/v1/session_service_pb.js";
import { UserLifecycleService } from "../../gen/platform/user/v1/user_lifecycle_service_pb.js";
import { API_SERVICES } from "../../src/rpc/router.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { GOOD_PASSWORD, registerUser, registerWithRole, uniqueEmail, type RegisteredUser } from "../support/factories.js";
import { enrolTotp, totpCode } from "../support/mfa.js";
import { addMember, createOrganization, uniqueOrganizationName } from "../support/organizations.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

/** Every RPC that may change something: all but those declared free of side effects. */
const MUTATING = API_SERVICES.flatMap((service) => service.methods)
  .filter((method) => method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS)
  .map((method) => `${method.parent.name}/${method.name}`)
  .sort();

/** The user agent the calls checked are made with. */
const USER_AGENT = "audit-check/1.0";

/** A call made with the request id the audit rows must carry. */
type Call = (callOptions: { headers: Record<string, string> }) => Promise<unknown>;

describeWithServices("the audit trail", () => {
  let t: TestApp;
  let officer: RegisteredUser;
  let secondOfficer: RegisteredUser;
  let support: RegisteredUser;
  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "10000" } });
    [officer, secondOfficer, support] = await Promise.all([registerWithRole(t, "compliance_officer"), registerWithRole(t, "compliance_officer"), registerWithRole(t, "support")]);
  });
  afterAll(() => t?.close());

  const as = <S extends DescService>(service: S, user?: RegisteredUser): Client<S> => createClient(service, t.transport({ token: user?.accessToken }));
  const pendingLimits = async () => {
    const user = await registerUser(t);
    await as(ComplianceService, officer).updateKycStatus({ userId: user.userId, kycStatus: KycStatus.APPROVED, kycLevel: KycLevel.BASIC, reason: "verified" });
    const { pendingTradingLimits } = await as(ComplianceService, officer).setTradingLimits({ userId: user.userId, tradingLimits: { dailyLimit: "25000", positionSizeLimit: "1000", currency: "USD" }, reason: "desk head's request" });
    return pendingTradingLimits!.requestId;
  };
  const pendingGrant = async () => {
    const admin = await registerUser(t);
    const organizationId = await createOrganization(t, admin);
    const [second, trader] = await Promise.all([registerUser(t), registerUser(t)]);
    await addMember(t, organizationId, second, "admin");
    await addMember(t, organizationId, trader, "trader");
    const { pendingRequestId } = await as(OrganizationService, admin).updateMember({ organizationId, userId: trader.userId, role: OrgRole.COMPLIANCE });
    return { organizationId, approver: second, requestId: pendingRequestId };
  };

  /**
   * How to make each mutating RPC succeed, set up outside the call. A new mutating RPC fails the
   * suite until it is given one here, and then until it writes its audit row.
   */
  const CALLS: Record<string, () => Promise<Call>> = {
    "AuthService/Register": async () => (o) => as(AuthService).register({ email: uniqueEmail("audited"), password: GOOD_PASSWORD, fullName: "Audited Person" }, o),
    "AuthService/Login": async () => {
      const user = await registerUser(t);
      return (o) => as(AuthService).login({ email: user.email, password: user.password }, o);
    },
    "AuthService/CompleteMfaChallenge": async () => {
      const user = await registerUser(t);
      const { secret } = await enrolTotp(t, user);
      // A challenge is bound to the client that started it: the same user agent completes it.
      const started = await as(AuthService).login({ email: user.email, password: user.password }, { headers: { "user-agent": USER_AGENT } });
      if (started.result.case !== "mfaChallenge") throw new Error("expected an MFA challenge");
      const { challengeId } = started.result.value;
      const code = await totpCode(secret);
      return (o) => as(AuthService).completeMfaChallenge({ challengeId, code, mfaType: MfaType.TOTP }, o);
    },
    "AuthService/RefreshToken": async () => {
      const user = await registerUser(t);
      return (o) => as(AuthService).refreshToken({ refreshToken: user.refreshToken }, o);
    },
    "AuthService/Logout": async () => {
      const user = await registerUser(t);
      return (o) => as(AuthService, user).logout({}, o);
    },
    "ComplianceService/UpdateKycStatus": async () => {
      const user = await registerUser(t);
      return (o) => as(ComplianceService, officer).updateKycStatus({ userId: user.userId, kycStatus: KycStatus.APPROVED, kycLevel: KycLevel.BASIC, reason: "documents checked" }, o);
    },
    "ComplianceService/SetTradingLimits": async () => {
      const user = await registerUser(t);
      await as(ComplianceService, officer).updateKycStatus({ userId: user.userId, kycStatus: KycStatus.APPROVED, kycLevel: KycLevel.BASIC, reason: "verified" });
      return (o) => as(ComplianceService, officer).setTradingLimits({ userId: user.userId, tradingLimits: { dailyLimit: "2500", positionSizeLimit: "1000", currency: "USD" }, reason: "new trader" }, o);
    },
    "ComplianceService/ApproveTradingLimits": async () => {
      const requestId = await pendingLimits();
      return (o) => as(ComplianceService, secondOfficer).approveTradingLimits({ requestId, reason: "risk desk agrees" }, o);
    },
    "ComplianceService/RejectTradingLimits": async () => {
      const requestId = await pendingLimits();
      return (o) => as(ComplianceService, secondOfficer).rejectTradingLimits({ requestId, reason: "too high" }, o);
    },
    "ComplianceService/VerifyUsers": async () => {
      const user = await registerUser(t);
      return (o) => as(ComplianceService, officer).verifyUsers({ userIds: [user.userId] }, o);
    },
    "ComplianceService/ScreenUser": async () => {
      const user = await registerUser(t);
      return (o) => as(ComplianceService, officer).screenUser({ userId: user.userId }, o);
    },
    "MfaService/SetupMfa": async () => {
      const user = await registerUser(t);
      return (o) => as(MfaService, user).setupMfa({ mfaType: MfaType.TOTP }, o);
    },
    "MfaService/VerifyMfa": async () => {
      const user = await registerUser(t);
      const { secret } = await as(MfaService, user).setupMfa({ mfaType: MfaType.TOTP });
      const code = await totpCode(secret, new Date(Date.now() - 30_000));
      return (o) => as(MfaService, user).verifyMfa({ mfaType: MfaType.TOTP, code }, o);
    },
    "MfaService/RemoveMfaMethod": async () => {
      const user = await registerUser(t);
      const { methodId } = await enrolTotp(t, user);
      return (o) => as(MfaService, user).removeMfaMethod({ methodId }, o);
    },
    "MfaService/RegenerateBackupCodes": async () => {
      const user = await registerUser(t);
      await enrolTotp(t, user);
      return (o) => as(MfaService, user).regenerateBackupCodes({}, o);
    },
    "OrganizationService/CreateOrganization": async () => {
      const user = await registerUser(t);
      return (o) =>
        as(OrganizationService, user).createOrganization(
          { name: uniqueOrganizationName(), displayName: "Audited Trading", organizationType: OrganizationType.TRADING_FIRM, subscriptionTier: SubscriptionTier.ENTERPRISE },
          o,
        );
    },
    "OrganizationService/InviteMember": async () => {
      const admin = await registerUser(t);
      const organizationId = await createOrganization(t, admin);
      return (o) => as(OrganizationService, admin).inviteMember({ organizationId, email: uniqueEmail("invitee"), role: OrgRole.TRADER }, o);
    },
    "OrganizationService/AcceptInvitation": async () => {
      const [admin, invitee] = await Promise.all([registerUser(t), registerUser(t)]);
      const organizationId = await createOrganization(t, admin);
      const { invitationToken } = await as(OrganizationService, admin).inviteMember({ organizationId, email: invitee.email, role: OrgRole.TRADER });
      return (o) => as(OrganizationService, invitee).acceptInvitation({ invitationToken }, o);
    },
    "OrganizationService/UpdateMember": async () => {
      const [admin, trader] = await Promise.all([registerUser(t), registerUser(t)]);
      const organizationId = await createOrganization(t, admin);
      await addMember(t, organizationId, trader, "trader");
      return (o) => as(OrganizationService, admin).updateMember({ organizationId, userId: trader.userId, department: "risk" }, o);
    },
    "OrganizationService/ApproveMemberRequest": async () => {
      const { organizationId, approver, requestId } = await pendingGrant();
      return (o) => as(OrganizationService, approver).approveMemberRequest({ organizationId, requestId }, o);
    },
    "OrganizationService/RejectMemberRequest": async () => {
      const { organizationId, approver, requestId } = await pendingGrant();
      return (o) => as(OrganizationService, approver).rejectMemberRequest({ organizationId, requestId, reason: "not on the desk list" }, o);
    },
    "OrganizationService/RemoveMember": async () => {
      const [admin, trader] = await Promise.all([registerUser(t), registerUser(t)]);
      const organizationId = await createOrganization(t, admin);
      await addMember(t, organizationId, trader, "trader");
      return (o) => as(OrganizationService, admin).removeMember({ organizationId, userId: trader.userId }, o);
    },
    "PreferencesService/UpdatePreferences": async () => {
      const user = await registerUser(t);
      return (o) => as(PreferencesService, user).updatePreferences({ preferences: { theme: Theme.DARK }, updateMask: { paths: ["theme"] } }, o);
    },
    "ProfileService/UpdateProfile": async () => {
      const user = await registerUser(t);
      return (o) => as(ProfileService, user).updateProfile({ fullName: "Audited Name" }, o);
    },
    "SessionService/RevokeSession": async () => {
      const user = await registerUser(t);
      const other = await as(AuthService).login({ email: user.email, password: user.password });
      const sessionId = other.result.case === "tokens" ? other.result.value.sessionId : "";
      return (o) => as(SessionService, user).revokeSession({ sessionId }, o);
    },
    "SessionService/TrustDevice": async () => {
      const user = await registerUser(t);
      const signedIn = await as(AuthService).login({ email: user.email, password: user.password, device: { deviceId: "audit-check-laptop" } });
      const sessionId = signedIn.result.case === "tokens" ? signedIn.result.value.sessionId : "";
      return (o) => as(SessionService, user).trustDevice({ sessionId, trusted: true }, o);
    },
    "AuditService/ExportAuditTrail": async () => async (o) => {
      const range = { createdAfter: timestampFromDate(new Date(Date.now() - 3_600_000)), createdBefore: timestampFromDate(new Date()) };
      for await (const batch of as(AuditService, officer).exportAuditTrail({ ...range, reason: "regulator request" }, o)) void batch;
    },
    "UserLifecycleService/UpdateUserStatus": async () => {
      const user = await registerUser(t);
      return (o) => as(UserLifecycleService, support).updateUserStatus({ userId: user.userId, newStatus: UserStatus.SUSPENDED, reason: "chargeback investigation" }, o);
    },
    "UserLifecycleService/CompleteOnboardingStep": async () => {
      const user = await registerUser(t);
      return (o) => as(UserLifecycleService, user).completeOnboardingStep({ stepId: "accept_terms", data: { terms_version: "2026-11", accepted: true } }, o);
    },
  };

  it("knows how to make every mutating RPC succeed", () => {
    expect(Object.keys(CALLS).sort()).toEqual(MUTATING);
  });

  it.each(MUTATING)("is written by %s, in its call, with who, what, when and from where", async (rpc) => {
    const call = await CALLS[rpc]!();
    const requestId = `audit-check-${rpc.replace("/", ".")}-${Date.now()}`;

    await call({ headers: { "x-request-id": requestId, "user-agent": USER_AGENT } });

    const rows = await t.db.selectFrom("audit_trail").selectAll().where("request_id", "=", requestId).execute();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row).toMatchObject({ action: expect.stringMatching(/^[a-z_]+\.[a-z_.]+$/), resource_type: expect.any(String), resource_id: expect.any(String), ip_address: expect.stringMatching(/127\.0\.0\.1/), user_agent: USER_AGENT });
      expect(row.created_at).toBeInstanceOf(Date);
      expect(row.actor_user_id ?? row.on_behalf_of_user_id ?? row.resource_id).toBeTruthy();
    }
  });
});
