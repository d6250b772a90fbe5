import type { PlatformRole } from "../shared/principal.js";

/**
 * PLATFORM_ROLE_PERMISSIONS is the one table of what each platform role may do. Permission names
 * are the ones RPCs declare in proto (`option (rule).permission`). Admins hold every permission.
 */
const PLATFORM_ROLE_PERMISSIONS: Record<Exclude<PlatformRole, "admin">, ReadonlySet<string>> = {
  support: new Set(["users.read", "users.status.update", "activity.read"]),
  compliance_officer: new Set([
    "activity.read",
    "audit.read",
    "audit.verify",
    "compliance.read",
    "compliance.kyc.update",
    "compliance.limits.update",
    "compliance.screen",
  ]),
};

/** hasPlatformPermission says whether any of the roles grants permission. */
export function hasPlatformPermission(roles: readonly PlatformRole[], permission: string): boolean {
  return roles.some((role) => role === "admin" || PLATFORM_ROLE_PERMISSIONS[role].has(permission));
}
