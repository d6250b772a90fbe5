export { grantPlatformRole, isPlatformRole } from "./platform-roles.service.js";
