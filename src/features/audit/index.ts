export { AuditLog, type AuditEvent, type RequestOrigin } from "./audit.service.js";
export { findByResource as findAuditByResource } from "./audit.repository.js";
