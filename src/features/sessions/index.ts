export { SessionGuard } from "./session-guard.js";
export { Sessions, type ClientDevice, type OpenedSession } from "./sessions.service.js";
export { claimRefreshToken, touchSession } from "./sessions.repository.js";
