export { SessionGuard } from "./session-guard.js";
export { sessionsRpc } from "./sessions.rpc.js";
export { Sessions, type ClientDevice, type IssuedTokens, type SessionGrant, type SessionsDependencies, type SessionView } from "./sessions.service.js";
export type { DeviceStanding, SessionAssurance, SessionTotals, SignInRecord } from "./sessions.repository.js";
export { kilometresBetween, SignInRisk, type SignInRiskAssessment, type SignInRiskDependencies } from "./sign-in-risk.js";
export { SessionAnomalies } from "./session-anomalies.js";
