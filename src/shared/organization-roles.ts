/** ORGANIZATION_ROLES are the roles a member holds within one organization. */
export const ORGANIZATION_ROLES = ["admin", "manager", "trader", "viewer", "compliance"] as const;

/** OrganizationRole is a member's role within one organization. */
export type OrganizationRole = (typeof ORGANIZATION_ROLES)[number];
