export { platformRolesOf } from "./platform-roles.repository.js";
export { isPlatformRole, PlatformRoles, type PlatformRolesDeps, type RoleChange } from "./platform-roles.service.js";
export { platformRoleCommands } from "./role-commands.js";
