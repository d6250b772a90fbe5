import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ActivityService } from "../../gen/platform/user/v1/activity_service_pb.js";
import { AuditService } from "../../gen/platform/user/v1/audit_service_pb.js";
import { AuthService } from "../../gen/platform/user/v1/auth_service_pb.js";
import { ComplianceService } from "../../gen/platform/user/v1/compliance_service_pb.js";
import { MfaService } from "../../gen/platform/user/v1/mfa_service_pb.js";
import { OrganizationService } from "../../gen/platform/user/v1/organization_service_pb.js";
import { PreferencesService } from "../../gen/platform/user/v1/preferences_service_pb.js";
import { ProfileService } from "../../gen/platform/user/v1/profile_service_pb.js";
import { SessionService } from "../../gen/platform/user/v1/session_service_pb.js";
import { UserLifecycleService } from "../../gen/platform/user/v1/user_lifecycle_service_pb.js";
import { registerHealth, type ReadinessProbe } from "./health.js";
import { registerReflection } from "./reflection.js";

/**
 * API_SERVICES are the services of the public contract, in the order docs/api.md lists them.
 * test/rpc/router.test.ts checks the list against the services compiled from proto/.
 */
export const API_SERVICES: readonly DescService[] = [
  AuthService,
  ProfileService,
  MfaService,
  SessionService,
  UserLifecycleService,
  PreferencesService,
  OrganizationService,
  ActivityService,
  ComplianceService,
  AuditService,
];

/** ServiceRegistration pairs an API service with the handlers a feature implements of it. */
export interface ServiceRegistration {
  service: DescService;
  implementation: object;
}

/** implement pairs a service with handlers for some of its RPCs; the others answer UNIMPLEMENTED. */
export function implement<S extends DescService>(service: S, implementation: Partial<ServiceImpl<S>>): ServiceRegistration {
  return { service, implementation };
}

/** implementedRpcs names the RPCs the registrations have handlers for, as `package.Service/Method`. */
export function implementedRpcs(registrations: readonly ServiceRegistration[]): string[] {
  return registrations.flatMap(({ service, implementation }) =>
    service.methods.filter((method) => typeof (implementation as Record<string, unknown>)[method.localName] === "function").map((method) => `${service.typeName}/${method.name}`),
  );
}

/**
 * createRoutes registers every API service, health checking and reflection on a router. Each
 * service gets the handlers its registration brings; a service without one, and every RPC a
 * registration leaves out, answers UNIMPLEMENTED. A registration for a service outside the
 * contract, or a second one for a service, is a wiring mistake and throws.
 */
export function createRoutes(registrations: readonly ServiceRegistration[], ready: ReadinessProbe, stopping: AbortSignal) {
  const handlers = new Map<DescService, object>();
  for (const { service, implementation } of registrations) {
    if (!API_SERVICES.includes(service)) throw new Error(`${service.typeName} is not a service of the API`);
    if (handlers.has(service)) throw new Error(`${service.typeName} is registered twice`);
    handlers.set(service, implementation);
  }
  return (router: ConnectRouter) => {
    for (const service of API_SERVICES) router.service(service, handlers.get(service) ?? {});
    registerHealth(router, API_SERVICES.map((s) => s.typeName), ready, stopping);
    registerReflection(router, [...API_SERVICES, Health]);
  };
}
