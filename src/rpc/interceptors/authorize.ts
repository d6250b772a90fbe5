import type { Interceptor } from "@connectrpc/connect";
import { Counter, type Registry } from "prom-client";
import { hasPlatformPermission, permissionDenied, type AdminNetworks, type Authorizer } from "../../features/authorization/index.js";
import type { Principal } from "../../shared/principal.js";
import { accessRuleOf, INFRASTRUCTURE_SERVICES, organizationIdOf } from "../access-rules.js";
import { originKey, principalKey, requirePrincipal } from "../context.js";

/** The user a self RPC's request is about, when it names one (an optional `user_id` field). */
function requestedUserId(message: unknown): string | undefined {
  const userId = (message as { userId?: unknown }).userId;
  return typeof userId === "string" && userId !== "" ? userId : undefined;
}

/**
 * createAuthorizeInterceptor enforces the access rule each RPC declares in proto, asking the
 * authorizer whether the caller holds a declared permission. An RPC without a rule is refused:
 * access is denied unless granted. Platform roles count only for calls from the admin networks
 * (ADMIN_IP_ALLOWLIST); a call they would have allowed from there is refused and audited. A
 * signed-in caller refused a permission (one an RPC declares, or the one reaching another user's
 * data) is counted in privilege_escalation_attempts_total, by method and permission.
 */
export function createAuthorizeInterceptor(authorizer: Authorizer, adminNetworks?: AdminNetworks, metrics?: Registry): Interceptor {
  const escalations =
    metrics &&
    new Counter({
      name: "privilege_escalation_attempts_total",
      help: "Calls refused a permission their caller does not hold, by method and permission.",
      labelNames: ["method", "permission"],
      registers: [metrics],
    });
  return (next) => async (req) => {
    if (INFRASTRUCTURE_SERVICES.has(req.service)) return next(req);
    const declared = accessRuleOf(req.method);
    if (!declared) throw permissionDenied();
    const { access } = declared;
    if (access.case === "public") {
      if (!access.value) throw permissionDenied();
      return next(req);
    }
    const signedIn = requirePrincipal(req.contextValues.get(principalKey));
    const origin = req.contextValues.get(originKey);
    // Outside the admin networks the caller holds no platform role, here and in the handler alike.
    const admitted = signedIn.platformRoles.length === 0 || (adminNetworks?.admits(origin.ipAddress) ?? true);
    const principal: Principal = admitted ? signedIn : { ...signedIn, platformRoles: [] };
    if (!admitted) req.contextValues.set(principalKey, principal);
    const demand = async (permission: string | undefined, organizationId?: string) => {
      if (!permission) throw permissionDenied();
      if (await authorizer.allows(principal, { permission, organizationId })) return;
      if (!admitted && hasPlatformPermission(signedIn.platformRoles, permission)) {
        await adminNetworks!.refused(signedIn, `${req.service.typeName}/${req.method.name}`, permission, origin);
      }
      escalations?.inc({ method: `${req.service.name}/${req.method.name}`, permission });
      throw permissionDenied();
    };
    if (access.case === "self") {
      if (!access.value || req.stream) throw permissionDenied();
      const target = requestedUserId(req.message);
      // Another user's data: through a platform role, or a role in the organization the request names.
      if (target !== undefined && target !== principal.userId) await demand(declared.otherUserPermission, organizationIdOf(req.method, req.message));
    } else if (declared.organizationField) {
      // The organization is read from the request, which a streaming call has not sent yet.
      if (req.stream) throw permissionDenied();
      await demand(access.value, organizationIdOf(req.method, req.message));
    } else {
      await demand(access.value);
    }
    return next(req);
  };
}
