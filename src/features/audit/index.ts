export { AuditLog, type AuditEvent } from "./audit.service.js";
