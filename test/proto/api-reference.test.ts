import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { fromJson, type DescMethod, type JsonObject } from "@bufbuild/protobuf";
import { createRequestValidator } from "../../src/rpc/validation.js";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { AuthService } from "../../gen/platform/user/v1/auth_service_pb.js";
import { API_SERVICES } from "../../src/rpc/router.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { callAny } from "../support/call-any.js";
import { GOOD_PASSWORD, registerWithRole, uniqueEmail, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const REFERENCE = fileURLToPath(new URL("../../docs/api.md", import.meta.url));

const ALL_METHODS: DescMethod[] = API_SERVICES.flatMap((service) => service.methods);
const nameOf = (method: DescMethod) => `${method.parent.typeName}/${method.name}`;

/** printReference runs the generator exactly as `npm run generate` does. */
function printReference(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", "scripts/print-api-reference.ts"], { cwd: ROOT, timeout: 60_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

/**
 * documentedStatus reads the Implemented column of every service table in the reference, as
 * `package.Service/Rpc` → implemented.
 */
function documentedStatus(reference: string): Map<string, boolean> {
  const status = new Map<string, boolean>();
  let service: string | undefined;
  for (const line of reference.split("\n")) {
    if (line.startsWith("## ")) service = undefined;
    const heading = /^### (\w+)$/.exec(line);
    if (heading && API_SERVICES.some((s) => s.name === heading[1])) service = heading[1];
    const row = /^\| \[(\w+)\]\(#[\w-]+\) \|.*\| (yes|no \(`UNIMPLEMENTED`\)) \|$/.exec(line);
    if (service && row) status.set(`platform.user.v1.${service}/${row[1]}`, row[2] === "yes");
  }
  return status;
}

describe("docs/api.md", () => {
  it("is what scripts/print-api-reference.ts prints for the current proto (run npm run generate)", async () => {
    const [committed, printed] = await Promise.all([fs.readFile(REFERENCE, "utf8"), printReference()]);
    expect(committed).toBe(printed);
  });

  it("marks every RPC of every API service implemented or not, once", async () => {
    const status = documentedStatus(await fs.readFile(REFERENCE, "utf8"));
    expect([...status.keys()].sort()).toEqual(ALL_METHODS.map(nameOf).sort());
  });
});

// A request each RPC's validation rules accept, in JSON: only then does a call reach the handler (or
// the lack of one), since authentication, authorization and validation run before it. An RPC whose
// empty request passes needs none. `{{email}}`, `{{password}}` and `{{refresh token}}` stand for the
// caller's own, `{{new email}}` for an address nobody has registered.
const VALID_REQUESTS: Record<string, JsonObject> = {
  "AuthService/Register": { email: "{{new email}}", password: GOOD_PASSWORD, fullName: "Reference Check" },
  "AuthService/Login": { email: "{{email}}", password: "{{password}}" },
  "AuthService/CompleteMfaChallenge": { challengeId: randomUUID(), code: "123456", mfaType: "MFA_TYPE_TOTP" },
  "AuthService/RefreshToken": { refreshToken: "{{refresh token}}" },
  "MfaService/SetupMfa": { mfaType: "MFA_TYPE_TOTP" },
  "MfaService/VerifyMfa": { mfaType: "MFA_TYPE_TOTP", code: "123456" },
  "MfaService/RemoveMfaMethod": { methodId: randomUUID() },
  "SessionService/RevokeSession": { sessionId: randomUUID() },
  "SessionService/TrustDevice": { sessionId: randomUUID(), trusted: true },
  "UserLifecycleService/UpdateUserStatus": { userId: randomUUID(), newStatus: "USER_STATUS_SUSPENDED", reason: "reference check" },
  "UserLifecycleService/ListStatusHistory": { userId: randomUUID() },
  "UserLifecycleService/CompleteOnboardingStep": { stepId: "accept_terms", data: { terms_version: "2026-11", accepted: true } },
  "PreferencesService/UpdatePreferences": { preferences: { theme: "THEME_DARK" }, updateMask: "theme" },
  "OrganizationService/CreateOrganization": {
    name: "reference-check",
    displayName: "Reference check",
    organizationType: "ORGANIZATION_TYPE_CORPORATE",
    subscriptionTier: "SUBSCRIPTION_TIER_FREE",
  },
  "OrganizationService/GetOrganization": { organizationId: randomUUID() },
  "OrganizationService/InviteMember": { organizationId: randomUUID(), email: "invitee@example.com", role: "ORG_ROLE_VIEWER" },
  "OrganizationService/AcceptInvitation": { invitationToken: "not-an-invitation" },
  "OrganizationService/ListMembers": { organizationId: randomUUID() },
  "OrganizationService/UpdateMember": { organizationId: randomUUID(), userId: randomUUID(), department: "risk" },
  "OrganizationService/RemoveMember": { organizationId: randomUUID(), userId: randomUUID() },
  "OrganizationService/ListMemberRequests": { organizationId: randomUUID() },
  "OrganizationService/ApproveMemberRequest": { organizationId: randomUUID(), requestId: randomUUID() },
  "OrganizationService/RejectMemberRequest": { organizationId: randomUUID(), requestId: randomUUID(), reason: "reference check" },
  "ActivityService/GetUserMetrics": { days: 30 },
  "AuditService/ExportAuditTrail": { createdAfter: "2026-01-01T00:00:00Z", createdBefore: "2026-02-01T00:00:00Z", reason: "reference check" },
  "ComplianceService/GetComplianceProfile": { userId: randomUUID() },
  "ComplianceService/UpdateKycStatus": { userId: randomUUID(), kycStatus: "KYC_STATUS_PENDING", kycLevel: "KYC_LEVEL_BASIC", reason: "reference check" },
  "ComplianceService/SetTradingLimits": { userId: randomUUID(), tradingLimits: { currency: "USD" }, reason: "reference check" },
  "ComplianceService/ScreenUser": { userId: randomUUID() },
  "ComplianceService/VerifyUsers": { userIds: [randomUUID()] },
  "ComplianceService/ApproveTradingLimits": { requestId: randomUUID(), reason: "reference check" },
  "ComplianceService/RejectTradingLimits": { requestId: randomUUID(), reason: "reference check" },
};

/** validRequest is the JSON request for an RPC with the caller's placeholders filled in. */
function validRequest(method: DescMethod, caller: Pick<RegisteredUser, "email" | "password" | "refreshToken">): JsonObject {
  const json = JSON.stringify(VALID_REQUESTS[`${method.parent.name}/${method.name}`] ?? {})
    .replaceAll("{{new email}}", uniqueEmail("reference"))
    .replaceAll("{{email}}", caller.email)
    .replaceAll("{{password}}", caller.password)
    .replaceAll("{{refresh token}}", caller.refreshToken);
  return JSON.parse(json) as JsonObject;
}

describeWithServices("the Implemented column of docs/api.md", () => {
  let t: TestApp;
  // A platform admin holds every permission, so authorization lets every call through.
  let admin: RegisteredUser;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await registerWithRole(t, "admin");
  });
  afterAll(() => t?.close());

  it("has a request for every RPC that its validation rules accept", () => {
    const validator = createRequestValidator();
    const refused = ALL_METHODS.filter((method) => validator.validate(method.input, fromJson(method.input, validRequest(method, admin))).kind !== "valid");
    expect(refused.map(nameOf)).toEqual([]);
    const rpcs = new Set(ALL_METHODS.map((m) => `${m.parent.name}/${m.name}`));
    expect(Object.keys(VALID_REQUESTS).filter((name) => !rpcs.has(name))).toEqual([]);
  });

  it("says implemented exactly for the RPCs the server does not answer UNIMPLEMENTED", async () => {
    const auth = createClient(AuthService, t.transport());
    const answers: Record<string, boolean> = {};
    // One call at a time: concurrent sign-ins of one account would trip its sign-in limit.
    for (const method of ALL_METHODS) {
      // Each call gets a session of its own: one that signs its caller out cannot make later calls
      // fail authentication, which would hide whether they have a handler.
      const { result } = await auth.login({ email: admin.email, password: admin.password });
      if (result.case !== "tokens") throw new Error("the admin was asked for a second factor");
      const session = { ...admin, refreshToken: result.value.refreshToken };
      const transport = t.transport({ token: result.value.accessToken });
      const code = await callAny(transport, method, fromJson(method.input, validRequest(method, session)), 10_000).then(
        () => undefined,
        (error: unknown) => ConnectError.from(error).code,
      );
      answers[nameOf(method)] = code !== Code.Unimplemented;
    }
    const documented = documentedStatus(await fs.readFile(REFERENCE, "utf8"));
    expect(answers).toEqual(Object.fromEntries(ALL_METHODS.map((m) => [nameOf(m), documented.get(nameOf(m))])));
  });
});
