export { platformRolesOf } from "./platform-roles.repository.js";
export { grantPlatformRole, isPlatformRole } from "./platform-roles.service.js";
