import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { create, createFileRegistry, setExtension, type DescMethod, type MessageInitShape } from "@bufbuild/protobuf";
import type { GenService } from "@bufbuild/protobuf/codegenv2";
import { EmptySchema, file_google_protobuf_empty, FileDescriptorProtoSchema, MethodOptionsSchema, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { ActivityService } from "../../gen/platform/user/v1/activity_service_pb.js";
import { AuditService } from "../../gen/platform/user/v1/audit_service_pb.js";
import { ComplianceService } from "../../gen/platform/user/v1/compliance_service_pb.js";
import { AccessRuleSchema, rule, type AccessRule } from "../../gen/platform/user/v1/options_pb.js";
import { ProfileService } from "../../gen/platform/user/v1/profile_service_pb.js";
import { hasPlatformPermission, noMemberships, RoleAuthorizer } from "../../src/features/authorization/index.js";
import { accessRuleOf } from "../../src/rpc/access-rules.js";
import { principalKey } from "../../src/rpc/context.js";
import { createErrorInterceptor } from "../../src/rpc/interceptors/errors.js";
import { createAuthorizeInterceptor } from "../../src/rpc/interceptors/authorize.js";
import { createLogger } from "../../src/platform/logger.js";
import { API_SERVICES } from "../../src/rpc/router.js";
import type { PlatformRole } from "../../src/shared/principal.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { registerUser, registerWithRole, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const ALL_METHODS: DescMethod[] = API_SERVICES.flatMap((service) => service.methods);
const nameOf = (method: DescMethod) => `${method.parent.typeName}/${method.name}`;
const PERMISSION_NAME = /^[a-z]+(\.[a-z_]+)+$/;
const NON_ADMIN_ROLES: PlatformRole[] = ["support", "compliance_officer"];

/** declaredRules pairs every API method with the rule it declares; methods without one are left out. */
function declaredRules() {
  return ALL_METHODS.flatMap((method) => {
    const declared = accessRuleOf(method);
    return declared ? [{ method, rule: declared }] : [];
  });
}

describe("access rules declared in proto", () => {
  it("covers the ten API services", () => {
    expect(API_SERVICES).toHaveLength(10);
  });

  it("gives every RPC of every API service an access rule", () => {
    expect(ALL_METHODS.filter((method) => accessRuleOf(method)?.access.case === undefined).map(nameOf)).toEqual([]);
  });

  it("makes only sign-up, sign-in and token refresh public", () => {
    const publicRpcs = declaredRules()
      .filter(({ rule: r }) => r.access.case === "public")
      .map(({ method }) => nameOf(method));
    expect(publicRpcs.sort()).toEqual(
      ["AuthService/CompleteMfaChallenge", "AuthService/Login", "AuthService/RefreshToken", "AuthService/Register"].map((n) => `platform.user.v1.${n}`),
    );
    // A public rule must say true; `public: false` would grant nothing and reads as a mistake.
    expect(declaredRules().filter(({ rule: r }) => (r.access.case === "public" || r.access.case === "self") && r.access.value !== true).map(({ method }) => nameOf(method))).toEqual([]);
  });

  it("names permissions in lower-case dotted form", () => {
    const names = declaredRules().flatMap(({ rule: r }) => [r.access.case === "permission" ? r.access.value : undefined, r.otherUserPermission || undefined]);
    const malformed = names.filter((name): name is string => name !== undefined && !PERMISSION_NAME.test(name));
    expect(malformed).toEqual([]);
  });

  it("points organization_field at a real field of the request, on permission rules and on self rules reaching other users only", () => {
    const grantsThroughOrganization = (r: AccessRule) => r.access.case === "permission" || (r.access.case === "self" && r.otherUserPermission !== "");
    const wrong = declaredRules()
      .filter(({ rule: r }) => r.organizationField !== "")
      .filter(({ method, rule: r }) => !grantsThroughOrganization(r) || !method.input.fields.some((f) => f.name === r.organizationField))
      .map(({ method }) => nameOf(method));
    expect(wrong).toEqual([]);
    expect(declaredRules().some(({ rule: r }) => r.organizationField === "organization_id")).toBe(true);
  });

  it("gives other_user_permission only to self RPCs whose request has a user_id field", () => {
    const wrong = declaredRules()
      .filter(({ rule: r }) => r.otherUserPermission !== "")
      .filter(({ method, rule: r }) => r.access.case !== "self" || !method.input.fields.some((f) => f.name === "user_id" && f.fieldKind === "scalar"))
      .map(({ method }) => nameOf(method));
    expect(wrong).toEqual([]);
  });

  it("grants every permission to a non-admin platform role unless it is organization-scoped", () => {
    const ungranted = declaredRules()
      .flatMap(({ rule: r }) => [
        r.access.case === "permission" && r.organizationField === "" ? r.access.value : undefined,
        r.otherUserPermission || undefined,
      ])
      .filter((permission): permission is string => permission !== undefined)
      .filter((permission) => !NON_ADMIN_ROLES.some((role) => hasPlatformPermission([role], permission)));
    expect(ungranted).toEqual([]);
  });
});

// A service written without the option, as a new .proto file would be if its author forgot it.
const UNDECLARED_PACKAGE = "test.authz.v1";
type PingService = GenService<{ ping: { methodKind: "unary"; input: typeof EmptySchema; output: typeof EmptySchema } }>;

/** serviceWith builds a one-RPC service whose Ping method carries the given options (or none). */
function serviceWith(name: string, options?: ReturnType<typeof create<typeof MethodOptionsSchema>>): PingService {
  const file = create(FileDescriptorProtoSchema, {
    name: `test/authz/${name.toLowerCase()}.proto`,
    package: UNDECLARED_PACKAGE,
    syntax: "proto3",
    dependency: ["google/protobuf/empty.proto"],
    service: [{ name, method: [{ name: "Ping", inputType: ".google.protobuf.Empty", outputType: ".google.protobuf.Empty", options }] }],
  });
  const registry = createFileRegistry(file, (dependency) => (dependency === file_google_protobuf_empty.proto.name ? file_google_protobuf_empty : undefined));
  return registry.getService(`${UNDECLARED_PACKAGE}.${name}`) as unknown as PingService;
}

function optionsWithRule(init: MessageInitShape<typeof AccessRuleSchema>) {
  const options = create(MethodOptionsSchema);
  setExtension(options, rule, create(AccessRuleSchema, init));
  return options;
}

describe("createAuthorizeInterceptor", () => {
  // An admin holds every permission, so a refusal here can only come from the missing rule.
  const asAdmin: Interceptor = (next) => (req) => {
    req.contextValues.set(principalKey, { userId: randomUUID(), sessionId: randomUUID(), amr: ["pwd"], platformRoles: ["admin"] });
    return next(req);
  };

  /** callPing serves the service in memory behind the authorize interceptor and calls Ping as an admin. */
  function callPing(service: PingService) {
    // The error interceptor turns the interceptor's DomainError into its code, as in the server.
    const transport = createRouterTransport((router) => router.service(service, { ping: () => ({}) }), {
      router: { interceptors: [createErrorInterceptor(createLogger("silent")), asAdmin, createAuthorizeInterceptor(new RoleAuthorizer(noMemberships))] },
    });
    return createClient(service, transport).ping({});
  }

  describe("default deny", () => {
    it("finds no access rule on an RPC declared without the option", () => {
      const method = serviceWith("UndeclaredService").method.ping;
      expect(accessRuleOf(method)).toBeUndefined();
    });

    it("treats an empty rule like no rule", () => {
      expect(accessRuleOf(serviceWith("EmptyRuleService", optionsWithRule({})).method.ping)).toBeUndefined();
    });

    it("refuses an RPC declared without the option with PERMISSION_DENIED, even to an admin", async () => {
      await expect(callPing(serviceWith("UndeclaredService"))).rejects.toMatchObject({ code: Code.PermissionDenied });
    });

    it("refuses an RPC whose rule is empty", async () => {
      await expect(callPing(serviceWith("EmptyRuleService", optionsWithRule({})))).rejects.toMatchObject({ code: Code.PermissionDenied });
    });

    it("refuses an RPC declared public: false", async () => {
      await expect(callPing(serviceWith("NotPublicService", optionsWithRule({ access: { case: "public", value: false } })))).rejects.toMatchObject({
        code: Code.PermissionDenied,
      });
    });

    it("lets the same call through once the RPC declares a rule", async () => {
      await expect(callPing(serviceWith("SelfService", optionsWithRule({ access: { case: "self", value: true } })))).resolves.toBeDefined();
    });
  });
});

describeWithServices("authorization through the running server", () => {
  let t: TestApp;
  let plain: RegisteredUser;
  let other: RegisteredUser;
  const staff: Partial<Record<PlatformRole, RegisteredUser>> = {};
  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "100000" } });
    [plain, other, staff.support, staff.compliance_officer, staff.admin] = await Promise.all([
      registerUser(t),
      registerUser(t),
      registerWithRole(t, "support"),
      registerWithRole(t, "compliance_officer"),
      registerWithRole(t, "admin"),
    ]);
  });
  afterAll(() => t?.close());

  type Caller = PlatformRole | "plain user";
  const callerOf = (who: Caller) => (who === "plain user" ? plain : staff[who]!);
  const compliance = (token?: string) => createClient(ComplianceService, t.transport({ token }));
  const audit = (token?: string) => createClient(AuditService, t.transport({ token }));
  const activity = (token?: string) => createClient(ActivityService, t.transport({ token }));

  describe("ComplianceService", () => {
    describe("GetComplianceProfile", () => {
      it.each<Caller>(["plain user", "support"])("refuses %s", async (who) => {
        await expect(compliance(callerOf(who).accessToken).getComplianceProfile({ userId: other.userId })).rejects.toMatchObject({ code: Code.PermissionDenied });
      });

      it.each<Caller>(["compliance_officer", "admin"])("answers %s", async (who) => {
        await expect(compliance(callerOf(who).accessToken).getComplianceProfile({ userId: other.userId })).resolves.toMatchObject({ userId: other.userId });
      });

      it("answers UNAUTHENTICATED without a token", async () => {
        await expect(compliance().getComplianceProfile({ userId: other.userId })).rejects.toMatchObject({ code: Code.Unauthenticated });
      });

      it("checks permission before validating the request", async () => {
        await expect(compliance(plain.accessToken).getComplianceProfile({ userId: "not-a-uuid" })).rejects.toMatchObject({ code: Code.PermissionDenied });
      });
    });
  });

  describe("AuditService", () => {
    describe("ListAuditTrail", () => {
      it.each<Caller>(["plain user", "support"])("refuses %s", async (who) => {
        await expect(audit(callerOf(who).accessToken).listAuditTrail({ limit: 10 })).rejects.toMatchObject({ code: Code.PermissionDenied });
      });

      it.each<Caller>(["compliance_officer", "admin"])("answers %s", async (who) => {
        await expect(audit(callerOf(who).accessToken).listAuditTrail({ limit: 10 })).resolves.toMatchObject({ entries: expect.any(Array) });
      });
    });

    describe("VerifyAuditChain", () => {
      it.each<Caller>(["plain user", "support"])("refuses %s", async (who) => {
        await expect(audit(callerOf(who).accessToken).verifyAuditChain({})).rejects.toMatchObject({ code: Code.PermissionDenied });
      });

      it.each<Caller>(["compliance_officer", "admin"])("answers %s", async (who) => {
        await expect(audit(callerOf(who).accessToken).verifyAuditChain({})).resolves.toMatchObject({ valid: true });
      });
    });

    describe("ExportAuditTrail", () => {
      const exportLines = async (who: Caller) => {
        const range = { createdAfter: timestampFromDate(new Date(Date.now() - 3_600_000)), createdBefore: timestampFromDate(new Date()) };
        const lines: string[] = [];
        for await (const batch of audit(callerOf(who).accessToken).exportAuditTrail({ ...range, reason: "authorization check" })) lines.push(...batch.lines);
        return lines;
      };

      it.each<Caller>(["plain user", "support"])("refuses %s", async (who) => {
        await expect(exportLines(who)).rejects.toMatchObject({ code: Code.PermissionDenied });
      });

      it.each<Caller>(["compliance_officer", "admin"])("answers %s", async (who) => {
        await expect(exportLines(who)).resolves.toEqual(expect.arrayContaining([expect.stringContaining('"type":"export"')]));
      });
    });
  });

  describe("ActivityService", () => {
    describe("ListActivity", () => {
      it("lets a plain user ask about themselves", async () => {
        await expect(activity(plain.accessToken).listActivity({ userId: plain.userId })).resolves.toMatchObject({ activities: expect.any(Array) });
        await expect(activity(plain.accessToken).listActivity({})).resolves.toMatchObject({ activities: expect.any(Array) });
      });

      it("refuses a plain user another user's activity", async () => {
        await expect(activity(plain.accessToken).listActivity({ userId: other.userId })).rejects.toMatchObject({ code: Code.PermissionDenied });
      });

      it("lets support (activity.read) read another user's activity", async () => {
        await expect(activity(staff.support!.accessToken).listActivity({ userId: other.userId })).resolves.toMatchObject({ activities: expect.any(Array) });
      });
    });
  });

  describe("ProfileService", () => {
    describe("GetProfile", () => {
      it("refuses a plain user another user's profile", async () => {
        await expect(createClient(ProfileService, t.transport({ token: plain.accessToken })).getProfile({ userId: other.userId })).rejects.toMatchObject({
          code: Code.PermissionDenied,
        });
      });

      it("lets support (users.read) read another user's profile", async () => {
        const profile = await createClient(ProfileService, t.transport({ token: staff.support!.accessToken })).getProfile({ userId: other.userId });
        expect(profile.userId).toBe(other.userId);
      });
    });
  });
});
