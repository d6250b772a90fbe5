import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, createClient, createRouterTransport, type Interceptor, type ServiceImpl } from "@connectrpc/connect";
import { OrganizationService } from "../../gen/platform/user/v1/organization_service_pb.js";
import {
  hasOrganizationPermission,
  hasPlatformPermission,
  ORGANIZATION_ROLES,
  RoleAuthorizer,
  type MembershipLookup,
  type OrganizationRole,
} from "../../src/features/authorization/index.js";
import { createLogger } from "../../src/platform/logger.js";
import { accessRuleOf } from "../../src/rpc/access-rules.js";
import { principalKey } from "../../src/rpc/context.js";
import { createAuthorizeInterceptor } from "../../src/rpc/interceptors/authorize.js";
import { createErrorInterceptor } from "../../src/rpc/interceptors/errors.js";
import { API_SERVICES } from "../../src/rpc/router.js";
import { PLATFORM_ROLES, type PlatformRole } from "../../src/shared/principal.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { registerUser, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

/** Every RPC whose rule grants its permission through a role in the organization the request names. */
const ORGANIZATION_SCOPED = API_SERVICES.flatMap((service) => service.methods).flatMap((method) => {
  const declared = accessRuleOf(method);
  if (declared?.access.case !== "permission" || declared.organizationField === "") return [];
  const field = method.input.fields.find((candidate) => candidate.name === declared.organizationField)!;
  return [{ method, permission: declared.access.value, field }];
});
const nameOf = (method: DescMethod) => `${method.parent.name}/${method.name}`;

const OWN_ORGANIZATION = randomUUID();
const OTHER_ORGANIZATION = randomUUID();

/** A lookup that finds the caller in OWN_ORGANIZATION with the given role, and nowhere else. */
const memberOfOwnAs = (role: OrganizationRole | undefined): MembershipLookup => ({
  roleIn: async (_userId, organizationId) => (organizationId === OWN_ORGANIZATION ? role : undefined),
});

/** answersAll implements every RPC of a service with an empty answer: reaching it means authorization granted the call. */
function answersAll(service: DescService): Partial<ServiceImpl<DescService>> {
  return Object.fromEntries(service.methods.map((method) => [method.localName, () => ({})])) as unknown as Partial<ServiceImpl<DescService>>;
}

/**
 * call serves every API service in memory behind the authorize interceptor, the authorizer built
 * on the lookup, and makes the call as a caller holding the platform roles given.
 */
async function call(method: DescMethod, organizationId: string, lookup: MembershipLookup, platformRoles: PlatformRole[] = []): Promise<"granted" | "refused"> {
  const asCaller: Interceptor = (next) => (req) => {
    req.contextValues.set(principalKey, { userId: randomUUID(), sessionId: randomUUID(), amr: ["pwd"], platformRoles });
    return next(req);
  };
  const transport = createRouterTransport(
    (router) => {
      for (const service of API_SERVICES) router.service(service, answersAll(service));
    },
    { router: { interceptors: [createErrorInterceptor(createLogger("silent")), asCaller, createAuthorizeInterceptor(new RoleAuthorizer(lookup))] } },
  );
  const client = createClient(method.parent, transport) as unknown as Record<string, (request: object) => Promise<unknown>>;
  const field = ORGANIZATION_SCOPED.find((scoped) => scoped.method === method)!.field;
  try {
    await client[method.localName]!({ [field.localName]: organizationId });
    return "granted";
  } catch (error) {
    expect(error).toMatchObject({ code: Code.PermissionDenied });
    return "refused";
  }
}

describe("organization-scoped access rules", () => {
  it("are declared on the organization RPCs that act on one organization", () => {
    expect(ORGANIZATION_SCOPED.map(({ method }) => nameOf(method)).sort()).toEqual([
      "AuditService/ListAuditTrail",
      "ComplianceService/ApproveTradingLimits",
      "ComplianceService/GetComplianceProfile",
      "ComplianceService/RejectTradingLimits",
      "ComplianceService/SetTradingLimits",
      "ComplianceService/UpdateKycStatus",
      "OrganizationService/ApproveMemberRequest",
      "OrganizationService/GetOrganization",
      "OrganizationService/InviteMember",
      "OrganizationService/ListMemberRequests",
      "OrganizationService/ListMembers",
      "OrganizationService/RejectMemberRequest",
      "OrganizationService/RemoveMember",
      "OrganizationService/UpdateMember",
      "UserLifecycleService/UpdateUserStatus",
    ]);
  });

  it("name a string field of the request", () => {
    expect(ORGANIZATION_SCOPED.filter(({ field }) => field.fieldKind !== "scalar" || field.scalar !== 9 /* STRING */).map(({ method }) => nameOf(method))).toEqual([]);
  });

  it("grant each permission to the organization roles the policy names", () => {
    const holders = Object.fromEntries(
      ORGANIZATION_SCOPED.map(({ method, permission }) => [nameOf(method), ORGANIZATION_ROLES.filter((role) => hasOrganizationPermission(role, permission))]),
    );
    expect(holders).toEqual({
      "OrganizationService/GetOrganization": ["admin", "manager", "trader", "viewer", "compliance"],
      "OrganizationService/ListMembers": ["admin", "manager", "trader", "viewer", "compliance"],
      "OrganizationService/InviteMember": ["admin", "manager"],
      "OrganizationService/ListMemberRequests": ["admin", "manager"],
      "OrganizationService/ApproveMemberRequest": ["admin", "manager"],
      "OrganizationService/RejectMemberRequest": ["admin", "manager"],
      "OrganizationService/UpdateMember": ["admin", "manager"],
      "OrganizationService/RemoveMember": ["admin"],
      "UserLifecycleService/UpdateUserStatus": ["admin"],
      "ComplianceService/GetComplianceProfile": ["admin", "compliance"],
      "ComplianceService/UpdateKycStatus": ["compliance"],
      "ComplianceService/SetTradingLimits": ["compliance"],
      "ComplianceService/ApproveTradingLimits": ["compliance"],
      "ComplianceService/RejectTradingLimits": ["compliance"],
      "AuditService/ListAuditTrail": ["admin", "compliance"],
    });
  });

  describe.each(ORGANIZATION_SCOPED.map((scoped) => ({ ...scoped, rpc: nameOf(scoped.method) })))("$rpc ($permission)", ({ method, permission }) => {
    it.each([...ORGANIZATION_ROLES])("grants a %s only what the role holds, and only in their own organization", async (role) => {
      const lookup = memberOfOwnAs(role);
      expect(await call(method, OWN_ORGANIZATION, lookup)).toBe(hasOrganizationPermission(role, permission) ? "granted" : "refused");
      expect(await call(method, OTHER_ORGANIZATION, lookup)).toBe("refused");
    });

    it("refuses a caller who is a member of no organization", async () => {
      expect(await call(method, OWN_ORGANIZATION, memberOfOwnAs(undefined))).toBe("refused");
    });

    it("refuses a member whose request names no organization", async () => {
      expect(await call(method, "", memberOfOwnAs("admin"))).toBe("refused");
    });

    it("grants a platform admin in any organization without a membership", async () => {
      expect(await call(method, OTHER_ORGANIZATION, memberOfOwnAs(undefined), ["admin"])).toBe("granted");
    });

    it("refuses the platform roles that do not hold it", async () => {
      const lacking = PLATFORM_ROLES.filter((role) => !hasPlatformPermission([role], permission));
      expect(lacking).not.toEqual([]);
      expect(await call(method, OTHER_ORGANIZATION, memberOfOwnAs(undefined), lacking)).toBe("refused");
    });
  });
});

describeWithServices("the application's authorizer", () => {
  const members = new Map<string, OrganizationRole>();
  let withMemberships: TestApp;
  let withDefaults: TestApp;
  let member: RegisteredUser;
  let stranger: RegisteredUser;
  beforeAll(async () => {
    [withMemberships, withDefaults] = await Promise.all([
      startTestApp({
        services: { memberships: { roleIn: async (userId, organizationId) => (organizationId === OWN_ORGANIZATION ? members.get(userId) : undefined) } },
      }),
      startTestApp(),
    ]);
    [member, stranger] = await Promise.all([registerUser(withMemberships), registerUser(withMemberships)]);
    members.set(member.userId, "viewer");
  });
  afterAll(() => Promise.all([withMemberships?.close(), withDefaults?.close()]));

  // OWN_ORGANIZATION exists only in the injected lookup: NOT_FOUND proves the call got past authorization.
  const organizations = (t: TestApp, token: string) => createClient(OrganizationService, t.transport({ token }));

  it("resolves an injected membership lookup for organization_field rules", async () => {
    await expect(organizations(withMemberships, member.accessToken).getOrganization({ organizationId: OWN_ORGANIZATION })).rejects.toMatchObject({
      code: Code.NotFound,
    });
    await expect(organizations(withMemberships, member.accessToken).inviteMember({ organizationId: OWN_ORGANIZATION })).rejects.toMatchObject({
      code: Code.PermissionDenied,
    });
    await expect(organizations(withMemberships, stranger.accessToken).getOrganization({ organizationId: OWN_ORGANIZATION })).rejects.toMatchObject({
      code: Code.PermissionDenied,
    });
  });

  it("finds no membership for a user who belongs to no organization", async () => {
    const user = await registerUser(withDefaults);
    await expect(organizations(withDefaults, user.accessToken).getOrganization({ organizationId: OWN_ORGANIZATION })).rejects.toMatchObject({
      code: Code.PermissionDenied,
    });
  });
});
