export { AdminNetworks } from "./admin-networks.js";
export { noMemberships, RoleAuthorizer, type Authorizer, type MembershipLookup, type PermissionCheck } from "./authorizer.js";
export { permissionDenied } from "./authorization.errors.js";
export { hasOrganizationPermission, hasPlatformPermission, ORGANIZATION_ROLES, type OrganizationRole } from "./permissions.js";
