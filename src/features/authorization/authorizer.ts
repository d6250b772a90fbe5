import type { Principal } from "../../shared/principal.js";
import { hasOrganizationPermission, hasPlatformPermission, type OrganizationRole } from "./permissions.js";

/** PermissionCheck is one question to an Authorizer: may the caller do this, here? */
export interface PermissionCheck {
  permission: string;
  /** The organization the request is about, when its rule names one (`organization_field`). */
  organizationId?: string;
}

/** Authorizer decides whether an authenticated caller holds a permission. */
export interface Authorizer {
  /** allows says whether principal holds the permission, through a platform role or a role in the named organization. */
  allows(principal: Principal, check: PermissionCheck): Promise<boolean>;
}

/** MembershipLookup finds a user's role in an organization. */
export interface MembershipLookup {
  /** roleIn is the user's role in the organization, or undefined when they are not an active member. */
  roleIn(userId: string, organizationId: string): Promise<OrganizationRole | undefined>;
}

/** noMemberships is a lookup that finds nobody in any organization: for checks that only platform roles may pass. */
export const noMemberships: MembershipLookup = { roleIn: async () => undefined };

/**
 * RoleAuthorizer grants by the role → permission tables: a platform role grants its permissions
 * everywhere; a role in an organization grants that role's permissions only for that organization.
 * The membership is looked up only when no platform role already grants the permission.
 */
export class RoleAuthorizer implements Authorizer {
  constructor(private readonly memberships: MembershipLookup) {}

  async allows(principal: Principal, { permission, organizationId }: PermissionCheck): Promise<boolean> {
    if (hasPlatformPermission(principal.platformRoles, permission)) return true;
    if (organizationId === undefined) return false;
    const role = await this.memberships.roleIn(principal.userId, organizationId);
    return role !== undefined && hasOrganizationPermission(role, permission);
  }
}
