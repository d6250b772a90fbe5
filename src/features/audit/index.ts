export { AuditLog, type AuditEvent } from "./audit.service.js";
export { findByResource as findAuditByResource } from "./audit.repository.js";
