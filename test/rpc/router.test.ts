import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "@jest/globals";
import { create, createFileRegistry, fromBinary, type DescMethod } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { AuthService } from "../../gen/platform/user/v1/auth_service_pb.js";
import { ProfileService } from "../../gen/platform/user/v1/profile_service_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { registeredRpcs } from "../../src/app.js";
import { API_SERVICES, createRoutes, implement, implementedRpcs, type ServiceRegistration } from "../../src/rpc/router.js";
import { callAny } from "../support/call-any.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const nameOf = (method: DescMethod) => `${method.parent.typeName}/${method.name}`;

/** contractServices names every service of the API package as compiled from proto/ by buf. */
function contractServices(): string[] {
  const buf = createRequire(import.meta.url).resolve("@bufbuild/buf/bin/buf");
  const run = spawnSync(process.execPath, [buf, "build", "--as-file-descriptor-set", "-o", "-"], { cwd: ROOT, maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`buf build failed: ${run.stderr.toString()}`);
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, run.stdout));
  const names: string[] = [];
  for (const file of registry.files) for (const service of file.services) if (service.typeName.startsWith("platform.user.v1.")) names.push(service.typeName);
  return names.sort();
}

/** callEach calls every RPC of the API once through routes, in memory, and returns each one's code. */
async function callEach(registrations: ServiceRegistration[]): Promise<Record<string, Code | "ok">> {
  const transport = createRouterTransport(createRoutes(registrations, async () => true, new AbortController().signal));
  const codes: Record<string, Code | "ok"> = {};
  for (const method of API_SERVICES.flatMap((service) => service.methods)) {
    codes[nameOf(method)] = await callAny(transport, method, create(method.input), 5_000).then(
      () => "ok" as const,
      (error: unknown) => ConnectError.from(error).code,
    );
  }
  return codes;
}

describe("the router", () => {
  it("serves every service of the package compiled from proto/, so a service added there is covered", () => {
    expect(API_SERVICES.map((service) => service.typeName).sort()).toEqual(contractServices());
  });

  it("answers UNIMPLEMENTED for every RPC of every service when nothing is registered", async () => {
    const codes = await callEach([]);
    expect(Object.entries(codes).filter(([, code]) => code !== Code.Unimplemented)).toEqual([]);
  });

  it("answers a registered handler and UNIMPLEMENTED for every other RPC, of its service and of the others", async () => {
    const codes = await callEach([implement(ProfileService, { getProfile: () => ({ userId: "someone" }) })]);
    const getProfile = nameOf(ProfileService.method.getProfile);
    expect(codes[getProfile]).toBe("ok");
    expect(Object.entries(codes).filter(([name, code]) => name !== getProfile && code !== Code.Unimplemented)).toEqual([]);
  });

  it("refuses a registration for a service outside the contract", () => {
    expect(() => createRoutes([implement(Health, {})], async () => true, new AbortController().signal)).toThrow("grpc.health.v1.Health is not a service of the API");
  });

  it("refuses a second registration for one service", () => {
    const twice = [implement(AuthService, {}), implement(AuthService, {})];
    expect(() => createRoutes(twice, async () => true, new AbortController().signal)).toThrow("platform.user.v1.AuthService is registered twice");
  });
});

describe("implementedRpcs", () => {
  it("names exactly the RPCs a registration has handlers for", () => {
    const registrations = [implement(AuthService, { login: () => ({}), logout: () => ({}) }), implement(ProfileService, {})];
    expect(implementedRpcs(registrations)).toEqual(["platform.user.v1.AuthService/Login", "platform.user.v1.AuthService/Logout"]);
  });

  it("lists what features() in the composition root registers, without building a service", () => {
    expect(registeredRpcs().sort()).toEqual(
      [
        "ActivityService/GetUserMetrics",
        "ActivityService/ListActivity",
        "AuditService/ExportAuditTrail",
        "AuditService/ListAuditTrail",
        "AuditService/VerifyAuditChain",
        "AuthService/CompleteMfaChallenge",
        "AuthService/Login",
        "AuthService/Logout",
        "AuthService/RefreshToken",
        "AuthService/Register",
        "ComplianceService/ApproveTradingLimits",
        "ComplianceService/GetComplianceProfile",
        "ComplianceService/RejectTradingLimits",
        "ComplianceService/ScreenUser",
        "ComplianceService/SetTradingLimits",
        "ComplianceService/UpdateKycStatus",
        "ComplianceService/VerifyUsers",
        "MfaService/ListMfaMethods",
        "MfaService/RegenerateBackupCodes",
        "MfaService/RemoveMfaMethod",
        "MfaService/SetupMfa",
        "MfaService/VerifyMfa",
        "OrganizationService/AcceptInvitation",
        "OrganizationService/ApproveMemberRequest",
        "OrganizationService/CreateOrganization",
        "OrganizationService/GetOrganization",
        "OrganizationService/InviteMember",
        "OrganizationService/ListMemberRequests",
        "OrganizationService/ListMembers",
        "OrganizationService/ListOrganizations",
        "OrganizationService/RejectMemberRequest",
        "OrganizationService/RemoveMember",
        "OrganizationService/UpdateMember",
        "PreferencesService/GetPreferences",
        "PreferencesService/UpdatePreferences",
        "ProfileService/GetProfile",
        "ProfileService/UpdateProfile",
        "SessionService/ListSessions",
        "SessionService/RevokeSession",
        "SessionService/TrustDevice",
        "UserLifecycleService/CompleteOnboardingStep",
        "UserLifecycleService/GetOnboarding",
        "UserLifecycleService/ListStatusHistory",
        "UserLifecycleService/ListUsers",
        "UserLifecycleService/UpdateUserStatus",
      ].map(
        (name) => `platform.user.v1.${name}`,
      ),
    );
  });
});
