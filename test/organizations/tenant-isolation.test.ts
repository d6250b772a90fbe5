import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { DescMethod } from "@bufbuild/protobuf";
import { OrgRole, UserStatus } from "../../gen/platform/user/v1/common_pb.js";
import { KycLevel, KycStatus } from "../../gen/platform/user/v1/compliance_service_pb.js";
import { hasOrganizationPermission, ORGANIZATION_ROLES, type OrganizationRole } from "../../src/features/authorization/index.js";
import { accessRuleOf } from "../../src/rpc/access-rules.js";
import { API_SERVICES } from "../../src/rpc/router.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { registerUser, uniqueEmail, type RegisteredUser } from "../support/factories.js";
import { addMember, createOrganization } from "../support/organizations.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const nameOf = (method: DescMethod) => `${method.parent.name}/${method.name}`;
const allMethods = API_SERVICES.flatMap((service) => service.methods);

/** Every RPC whose rule grants its permission through a role in the organization the request names. */
const ORGANIZATION_SCOPED = allMethods.flatMap((method) => {
  const declared = accessRuleOf(method);
  return declared?.access.case === "permission" && declared.organizationField !== "" ? [{ method, permission: declared.access.value }] : [];
});

/** Every self RPC whose request may name another user (a user_id field). */
const SELF_ABOUT_A_USER = allMethods.filter((method) => accessRuleOf(method)?.access.case === "self" && method.input.fields.some((field) => field.name === "user_id"));

/** An organization's people: a member in each role, and a trader reporting to the manager whom the calls act on. */
interface Tenant {
  organizationId: string;
  members: Record<OrganizationRole, RegisteredUser>;
  target: RegisteredUser;
}

/**
 * A valid request for each organization-scoped RPC about the tenant's target member: a caller the
 * rule admits gets past authorization and validation alike, so only the rule decides the answer.
 * A new organization-scoped RPC fails the suite until it is given one here.
 */
const REQUESTS: Record<string, (tenant: Tenant) => object> = {
  "OrganizationService/GetOrganization": ({ organizationId }) => ({ organizationId }),
  "OrganizationService/ListMembers": ({ organizationId }) => ({ organizationId }),
  "OrganizationService/InviteMember": ({ organizationId }) => ({ organizationId, email: uniqueEmail("invitee"), role: OrgRole.TRADER }),
  "OrganizationService/UpdateMember": ({ organizationId, target }) => ({ organizationId, userId: target.userId, department: "risk" }),
  "OrganizationService/RemoveMember": ({ organizationId, target }) => ({ organizationId, userId: target.userId }),
  "OrganizationService/ListMemberRequests": ({ organizationId }) => ({ organizationId }),
  "AuditService/ListAuditTrail": ({ organizationId }) => ({ organizationId }),
  // No such request: a caller the rule admits gets NOT_FOUND, past authorization.
  "OrganizationService/ApproveMemberRequest": ({ organizationId }) => ({ organizationId, requestId: "00000000-0000-4000-8000-000000000001" }),
  "UserLifecycleService/UpdateUserStatus": ({ organizationId, target }) => ({ organizationId, userId: target.userId, newStatus: UserStatus.SUSPENDED, reason: "isolation check" }),
  "OrganizationService/RejectMemberRequest": ({ organizationId }) => ({ organizationId, requestId: "00000000-0000-4000-8000-000000000001", reason: "isolation check" }),
  // About the viewer: the target may be removed by RemoveMember's checks before these run.
  "ComplianceService/GetComplianceProfile": ({ organizationId, members }) => ({ organizationId, userId: members.viewer.userId }),
  "ComplianceService/UpdateKycStatus": ({ organizationId, members }) => ({
    organizationId,
    userId: members.viewer.userId,
    kycStatus: KycStatus.PENDING,
    kycLevel: KycLevel.NONE,
    reason: "isolation check",
  }),
  "ComplianceService/SetTradingLimits": ({ organizationId, members }) => ({
    organizationId,
    userId: members.viewer.userId,
    tradingLimits: { dailyLimit: "0", positionSizeLimit: "0", currency: "USD" },
    reason: "isolation check",
  }),
  // No such request: a caller the rule admits gets NOT_FOUND, past authorization.
  "ComplianceService/ApproveTradingLimits": ({ organizationId }) => ({ organizationId, requestId: "00000000-0000-4000-8000-000000000001", reason: "isolation check" }),
  "ComplianceService/RejectTradingLimits": ({ organizationId }) => ({ organizationId, requestId: "00000000-0000-4000-8000-000000000001", reason: "isolation check" }),
};

async function codeOf(call: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call;
    return "ok";
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

describeWithServices("tenant isolation", () => {
  let t: TestApp;
  let own: Tenant;
  let other: Tenant;

  /** tenant creates an organization with a member in each role and a target trader under the manager. */
  async function tenant(): Promise<Tenant> {
    const admin = await registerUser(t);
    const organizationId = await createOrganization(t, admin);
    const others = await Promise.all(ORGANIZATION_ROLES.filter((role) => role !== "admin").map(async (role) => [role, await registerUser(t)] as const));
    const members = { admin, ...Object.fromEntries(others) } as Record<OrganizationRole, RegisteredUser>;
    for (const [role, user] of others) await addMember(t, organizationId, user, role);
    const target = await registerUser(t);
    await addMember(t, organizationId, target, "trader", members.manager.userId);
    return { organizationId, members, target };
  }

  /** call makes the RPC's request about tenant `about` as `caller`. */
  function call(method: DescMethod, caller: RegisteredUser, about: Tenant): Promise<unknown> {
    const client = createClient(method.parent, t.transport({ token: caller.accessToken })) as unknown as Record<string, (request: object) => Promise<unknown>>;
    return client[method.localName]!(REQUESTS[nameOf(method)]!(about));
  }

  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "10000" } });
    [own, other] = await Promise.all([tenant(), tenant()]);
  });
  afterAll(() => t?.close());

  it("has a request for every organization-scoped RPC", () => {
    expect(Object.keys(REQUESTS).sort()).toEqual(ORGANIZATION_SCOPED.map(({ method }) => nameOf(method)).sort());
  });

  describe.each(ORGANIZATION_SCOPED.map((scoped) => ({ ...scoped, rpc: nameOf(scoped.method) })))("$rpc ($permission)", ({ method, permission }) => {
    it.each([...ORGANIZATION_ROLES])("refuses a %s of another organization, and grants them in their own only what the role holds", async (role) => {
      expect(await codeOf(call(method, own.members[role], other))).toBe(Code.PermissionDenied);
      const inOwn = await codeOf(call(method, own.members[role], own));
      if (hasOrganizationPermission(role, permission)) expect(inOwn).not.toBe(Code.PermissionDenied);
      else expect(inOwn).toBe(Code.PermissionDenied);
    });

    it("answers an organization id that does not exist as it answers another tenant's", async () => {
      const nowhere = { ...own, organizationId: "00000000-0000-4000-8000-000000000000" };
      expect(await codeOf(call(method, own.members.admin, nowhere))).toBe(Code.PermissionDenied);
    });
  });

  describe("self RPCs about another user", () => {
    it("are found in the descriptors", () => {
      expect(SELF_ABOUT_A_USER.map(nameOf)).toContain("ProfileService/GetProfile");
    });

    it.each(SELF_ABOUT_A_USER.map((method) => ({ method, rpc: nameOf(method) })))("$rpc refuses a plain user asking about someone else", async ({ method }) => {
      const client = createClient(method.parent, t.transport({ token: own.members.trader.accessToken })) as unknown as Record<string, (request: object) => Promise<unknown>>;
      expect(await codeOf(client[method.localName]!({ userId: other.members.trader.userId }))).toBe(Code.PermissionDenied);
    });
  });
});
