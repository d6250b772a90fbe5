export { AuditLog, AuditTrail, type AuditEvent } from "./audit.service.js";
export { auditRpc } from "./audit.rpc.js";
export { auditJobs, CHECKPOINT_AUDIT, MAINTAIN_AUDIT_PARTITIONS } from "./audit.jobs.js";
export { AuditExports, type ExportCaller, type ExportRequest } from "./audit-export.js";
export { checkExport, type ExportCheck, type ExportProblem } from "./audit-export-check.js";
