import { describe, expect, it } from "@jest/globals";
import type { DescMessage } from "@bufbuild/protobuf";
import { MfaTypeSchema, OrgRoleSchema, UserStatusSchema } from "../../gen/platform/user/v1/common_pb.js";
import { API_SERVICES } from "../../src/rpc/router.js";

// The public contract's fixed names (docs/api.md lists them all): services, RPCs, and the request and response fields it
// lists, as JSON (lowerCamelCase) names. Outside clients are built against exactly these.
const CONTRACT: Record<string, Record<string, { request: string[]; response: string[] }>> = {
  AuthService: {
    Register: {
      request: ["email", "password", "fullName", "registrationType", "profileDetails", "idToken", "organizationInviteToken", "device"],
      response: ["userId", "accessToken", "refreshToken", "status", "sessionId"],
    },
    Login: { request: ["email", "password", "device"], response: ["tokens", "mfaChallenge"] },
    CompleteMfaChallenge: { request: ["challengeId", "code", "mfaType"], response: ["tokens"] },
    RefreshToken: { request: ["refreshToken"], response: ["tokens"] },
    Logout: { request: [], response: [] },
  },
  ProfileService: {
    GetProfile: {
      request: ["userId"],
      response: ["userId", "email", "fullName", "status", "verificationStatus", "profileDetails", "organizations", "createdAt"],
    },
    UpdateProfile: { request: ["fullName", "profileDetails"], response: [] },
  },
  MfaService: {
    SetupMfa: { request: ["mfaType", "phoneNumber"], response: ["methodId", "secret", "otpauthUri", "qrCodePng", "maskedPhone"] },
    VerifyMfa: { request: ["mfaType", "code"], response: ["verified", "backupCodes"] },
    ListMfaMethods: { request: [], response: [] },
    RemoveMfaMethod: { request: ["methodId"], response: [] },
    RegenerateBackupCodes: { request: [], response: [] },
  },
  SessionService: {
    ListSessions: { request: [], response: ["sessions"] },
    RevokeSession: { request: ["sessionId"], response: [] },
    TrustDevice: { request: ["sessionId", "trusted"], response: [] },
  },
  UserLifecycleService: {
    UpdateUserStatus: { request: ["userId", "newStatus", "reason"], response: [] },
    ListStatusHistory: { request: ["userId"], response: [] },
    GetOnboarding: { request: [], response: [] },
    CompleteOnboardingStep: { request: ["stepId", "data"], response: [] },
  },
  PreferencesService: {
    GetPreferences: { request: [], response: [] },
    UpdatePreferences: { request: ["preferences", "updateMask"], response: [] },
  },
  OrganizationService: {
    CreateOrganization: { request: ["name", "displayName", "organizationType", "subscriptionTier"], response: [] },
    ListOrganizations: { request: [], response: [] },
    GetOrganization: { request: ["organizationId"], response: [] },
    InviteMember: { request: ["organizationId", "email", "role", "department", "managerUserId"], response: ["invitationId", "invitationToken"] },
    AcceptInvitation: { request: ["invitationToken"], response: [] },
    ListMembers: { request: ["organizationId"], response: [] },
    UpdateMember: { request: ["organizationId", "userId", "role", "department", "managerUserId"], response: [] },
    RemoveMember: { request: ["organizationId", "userId"], response: [] },
  },
  ActivityService: {
    ListActivity: { request: ["userId", "limit", "activityType", "pageToken"], response: [] },
    GetUserMetrics: { request: ["userId", "days"], response: [] },
  },
  ComplianceService: {
    GetComplianceProfile: {
      request: ["userId"],
      response: ["kycStatus", "kycLevel", "riskRating", "riskScore", "sanctionsCheckStatus", "pepStatus", "tradingLimits", "eddRequired", "riskFactors"],
    },
    UpdateKycStatus: { request: ["userId", "kycStatus", "kycLevel", "reason"], response: [] },
    SetTradingLimits: { request: ["userId", "tradingLimits", "reason"], response: [] },
    ScreenUser: { request: ["userId"], response: [] },
  },
  AuditService: {
    ListAuditTrail: { request: ["limit", "resourceType", "resourceId", "actorUserId", "organizationId", "pageToken"], response: ["entries"] },
    VerifyAuditChain: { request: [], response: ["valid", "checked", "firstBrokenId"] },
  },
};

// Fields of nested messages the contract lists too.
const NESTED: Array<[service: string, rpc: string, side: "input" | "output", field: string, names: string[]]> = [
  ["AuthService", "Login", "output", "tokens", ["userId", "accessToken", "refreshToken", "sessionId", "expiresIn"]],
  ["AuthService", "Login", "output", "mfaChallenge", ["challengeId", "methods"]],
  ["SessionService", "ListSessions", "output", "sessions", [
    "sessionId", "browser", "os", "deviceType", "ipAddress", "country", "city", "riskScore", "trusted", "current", "createdAt", "lastSeenAt",
  ]],
  ["PreferencesService", "UpdatePreferences", "input", "preferences", ["theme", "language", "timezone", "emailNotifications", "smsNotifications", "tradingPreferences"]],
  ["ComplianceService", "GetComplianceProfile", "output", "tradingLimits", ["dailyLimit", "positionSizeLimit"]],
  ["AuditService", "ListAuditTrail", "output", "entries", [
    "id", "actorUserId", "action", "resourceType", "resourceId", "oldValues", "newValues", "reason", "ipAddress", "organizationId", "complianceRelevant", "createdAt",
  ]],
];

/** The RPCs beyond the contract: the approvals of organization membership the contract leaves to us, finding accounts, and the regulatory export. */
const OUR_OWN: Record<string, string[]> = {
  AuditService: ["ExportAuditTrail"],
  ComplianceService: ["ApproveTradingLimits", "RejectTradingLimits", "VerifyUsers"],
  OrganizationService: ["ListMemberRequests", "ApproveMemberRequest", "RejectMemberRequest"],
  UserLifecycleService: ["ListUsers"],
};

const jsonNames = (message: DescMessage) => message.fields.map((f) => f.jsonName);
const serviceNamed = (name: string) => API_SERVICES.find((s) => s.typeName === `platform.user.v1.${name}`);
const methodOf = (service: string, rpc: string) => serviceNamed(service)?.methods.find((m) => m.name === rpc);

describe("the public contract's fixed names", () => {
  it("has exactly the ten services of package platform.user.v1", () => {
    expect(API_SERVICES.map((s) => s.typeName).sort()).toEqual(Object.keys(CONTRACT).map((s) => `platform.user.v1.${s}`).sort());
  });

  describe.each(Object.entries(CONTRACT))("%s", (service, rpcs) => {
    it("has the contract's RPCs, and beside them only the ones of our own design", () => {
      const names = serviceNamed(service)!.methods.map((m) => m.name);
      expect(names).toEqual(expect.arrayContaining(Object.keys(rpcs)));
      expect(names.filter((name) => !(name in rpcs)).sort()).toEqual([...(OUR_OWN[service] ?? [])].sort());
    });

    it.each(Object.entries(rpcs))("%s carries the contract's request and response fields", (rpc, fields) => {
      const method = methodOf(service, rpc)!;
      expect(jsonNames(method.input)).toEqual(expect.arrayContaining(fields.request));
      expect(jsonNames(method.output)).toEqual(expect.arrayContaining(fields.response));
    });
  });

  it.each(NESTED)("%s.%s %s field %s carries the contract's fields", (service, rpc, side, field, names) => {
    const message = methodOf(service, rpc)![side].fields.find((f) => f.jsonName === field)?.message;
    expect(message && jsonNames(message)).toEqual(expect.arrayContaining(names));
  });

  it("keeps the seed messages' field numbers", () => {
    const register = methodOf("AuthService", "Register")!;
    const numbers = (message: DescMessage) => Object.fromEntries(message.fields.map((f) => [f.name, f.number]));
    expect(register.input.typeName).toBe("platform.user.v1.UserRegistrationRequest");
    expect(register.output.typeName).toBe("platform.user.v1.UserRegistrationResponse");
    expect(numbers(register.input)).toMatchObject({
      email: 1, password: 2, full_name: 3, registration_type: 4, profile_details: 5, id_token: 6, organization_invite_token: 7, device: 8,
    });
    expect(numbers(register.output)).toMatchObject({ user_id: 1, access_token: 2, refresh_token: 3, status: 4, session_id: 5 });
    const enumValues = (message: DescMessage, field: string) =>
      Object.fromEntries(message.fields.find((f) => f.name === field)!.enum!.values.map((v) => [v.name, v.number]));
    expect(enumValues(register.input, "registration_type")).toEqual({ EMAIL: 0, GOOGLE: 1, APPLE: 2, ENTERPRISE: 3 });
    expect(enumValues(register.output, "status")).toEqual({ PENDING: 0, VERIFIED: 1, REQUIRES_ADDITIONAL_VERIFICATION: 2 });
    const details = register.input.fields.find((f) => f.name === "profile_details")!.message!;
    expect(enumValues(details, "investment_profile")).toEqual({ CONSERVATIVE: 0, MODERATE: 1, AGGRESSIVE: 2 });
    expect(enumValues(details, "risk_tolerance")).toEqual({ LOW: 0, MEDIUM: 1, HIGH: 2 });
  });

  it.each([
    [MfaTypeSchema, ["MFA_TYPE_TOTP", "MFA_TYPE_SMS", "MFA_TYPE_BACKUP_CODE"]],
    [UserStatusSchema, ["USER_STATUS_ACTIVE", "USER_STATUS_SUSPENDED", "USER_STATUS_LOCKED", "USER_STATUS_DEACTIVATED", "USER_STATUS_PENDING_VERIFICATION"]],
    [OrgRoleSchema, ["ORG_ROLE_ADMIN", "ORG_ROLE_MANAGER", "ORG_ROLE_TRADER", "ORG_ROLE_VIEWER", "ORG_ROLE_COMPLIANCE"]],
  ] as const)("names the values of %s as the contract does", (schema, names) => {
    expect(schema.values.map((v) => v.name)).toEqual(expect.arrayContaining([...names]));
  });
});
