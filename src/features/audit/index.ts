export { AuditLog, AuditTrail, type AuditEvent } from "./audit.service.js";
export { auditRpc } from "./audit.rpc.js";
export { auditJobs, CHECKPOINT_AUDIT } from "./audit.jobs.js";
