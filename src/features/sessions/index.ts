export { SessionGuard } from "./session-guard.js";
export { Sessions, type ClientDevice, type IssuedTokens, type SessionGrant, type SessionsDependencies } from "./sessions.service.js";
export type { SessionAssurance } from "./sessions.repository.js";
