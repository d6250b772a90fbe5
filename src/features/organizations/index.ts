export { StoredMemberships, type ProfileMembership } from "./memberships.js";
export type { MemberIds } from "./organizations.repository.js";
export { Invitations } from "./invitations.service.js";
export { organizationsRpc } from "./organizations.rpc.js";
export { Organizations, type People, type Person } from "./organizations.service.js";
export { orgRoleToPb } from "./organizations.convert.js";
