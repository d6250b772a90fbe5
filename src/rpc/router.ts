import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
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
import { IMPLEMENTED, type Handlers } from "./implemented.js";
import { registerReflection } from "./reflection.js";

/** API_SERVICES are the services of the public contract, in the order docs/api.md lists them. */
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

/** Implementations are the features' handlers: exactly the RPCs IMPLEMENTED lists, per service. */
export type Implementations = { [K in keyof typeof IMPLEMENTED]: Handlers<K> };

/** createRoutes registers every API service, health checking and reflection on a router. */
export function createRoutes(implementations: Implementations, ready: ReadinessProbe, stopping: AbortSignal) {
  const handlers = new Map<DescService, object>(
    (Object.keys(IMPLEMENTED) as (keyof typeof IMPLEMENTED)[]).map((key) => [IMPLEMENTED[key].service, implementations[key]]),
  );
  return (router: ConnectRouter) => {
    // An RPC without a handler answers UNIMPLEMENTED.
    for (const service of API_SERVICES) router.service(service, handlers.get(service) ?? {});
    registerHealth(router, API_SERVICES.map((s) => s.typeName), ready, stopping);
    registerReflection(router, [...API_SERVICES, Health]);
  };
}
