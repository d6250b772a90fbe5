import type { Interceptor } from "@connectrpc/connect";
import { DomainError } from "../../shared/domain-error.js";
import type { Principal } from "../../shared/principal.js";
import { accessRuleOf, INFRASTRUCTURE_SERVICES } from "../access-rules.js";
import { principalKey, requirePrincipal } from "../context.js";
import { hasPlatformPermission } from "../permissions.js";

const denied = () => new DomainError("permission_denied", "permission_denied", "the caller may not perform this action");

function demand(principal: Principal, permission: string | undefined): void {
  if (!permission || !hasPlatformPermission(principal.platformRoles, permission)) throw denied();
}

/** The user a self RPC's request is about, when it names one (an optional `user_id` field). */
function requestedUserId(message: unknown): string | undefined {
  const userId = (message as { userId?: unknown }).userId;
  return typeof userId === "string" && userId !== "" ? userId : undefined;
}

/**
 * createAuthorizeInterceptor enforces the access rule each RPC declares in proto. An RPC without a
 * rule is refused: access is denied unless granted.
 */
export function createAuthorizeInterceptor(): Interceptor {
  return (next) => async (req) => {
    if (INFRASTRUCTURE_SERVICES.has(req.service)) return next(req);
    const declared = accessRuleOf(req.method);
    if (!declared) throw denied();
    const { access } = declared;
    if (access.case === "public") {
      if (!access.value) throw denied();
      return next(req);
    }
    const principal = requirePrincipal(req.contextValues.get(principalKey));
    if (access.case === "self") {
      if (!access.value || req.stream) throw denied();
      const target = requestedUserId(req.message);
      if (target !== undefined && target !== principal.userId) demand(principal, declared.otherUserPermission);
    } else {
      demand(principal, access.value);
    }
    return next(req);
  };
}
