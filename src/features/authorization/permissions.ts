import type { OrganizationRole } from "../../shared/organization-roles.js";
import type { PlatformRole } from "../../shared/principal.js";

export { ORGANIZATION_ROLES, type OrganizationRole } from "../../shared/organization-roles.js";

/**
 * PLATFORM_ROLE_PERMISSIONS is what each platform role may do anywhere. Permission names are the
 * ones RPCs declare in proto (`option (rule).permission`). Platform admins hold every permission.
 */
const PLATFORM_ROLE_PERMISSIONS: Record<Exclude<PlatformRole, "admin">, ReadonlySet<string>> = {
  support: new Set(["users.read", "users.status.update", "activity.read"]),
  compliance_officer: new Set([
    "activity.read",
    "audit.read",
    "audit.verify",
    "audit.export",
    "compliance.read",
    "compliance.kyc.update",
    "compliance.limits.update",
    "compliance.screen",
    "compliance.verify",
  ]),
};

/**
 * ORGANIZATION_ROLE_PERMISSIONS is what each organization role may do within its own organization,
 * and only there: a rule grants these through a role only when it names the organization
 * (`organization_field`). Managers manage members without removing them; compliance members review
 * their members and decide their KYC and trading limits.
 */
const ORGANIZATION_ROLE_PERMISSIONS: Record<OrganizationRole, ReadonlySet<string>> = {
  admin: new Set([
    "org.read",
    "org.members.invite",
    "org.members.approve",
    "org.members.update",
    "org.members.remove",
    "users.status.update",
    "activity.read",
    "audit.read",
    "compliance.read",
  ]),
  manager: new Set(["org.read", "org.members.invite", "org.members.approve", "org.members.update", "activity.read"]),
  trader: new Set(["org.read"]),
  viewer: new Set(["org.read"]),
  compliance: new Set(["org.read", "activity.read", "audit.read", "compliance.read", "compliance.kyc.update", "compliance.limits.update"]),
};

/** hasPlatformPermission says whether any of the platform roles grants permission. */
export function hasPlatformPermission(roles: readonly PlatformRole[], permission: string): boolean {
  return roles.some((role) => role === "admin" || PLATFORM_ROLE_PERMISSIONS[role].has(permission));
}

/** hasOrganizationPermission says whether the organization role grants permission within its organization. */
export function hasOrganizationPermission(role: OrganizationRole, permission: string): boolean {
  return ORGANIZATION_ROLE_PERMISSIONS[role].has(permission);
}
