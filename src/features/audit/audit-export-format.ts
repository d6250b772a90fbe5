import type { AuditRecord } from "./audit-hash.js";

/** EXPORT_FORMAT names the layout of a regulatory export's lines, so a reader knows what it holds. */
export const EXPORT_FORMAT = "user-service.audit-export.v1";

/** ExportHeaderLine is an export's first line: what was exported, by whom and when. */
export interface ExportHeaderLine {
  type: "export";
  format: typeof EXPORT_FORMAT;
  /** The service whose keys signed the checkpoints (the access tokens' issuer). */
  issuer: string;
  /** The range: entries made at or after createdAfter and before createdBefore (ISO 8601). */
  createdAfter: string;
  createdBefore: string;
  /** The organization whose lane was exported; null for every lane. */
  organizationId: string | null;
  exportedAt: string;
}

/** ExportCheckpointLine is a signed checkpoint, with its position among all checkpoints. */
export interface ExportCheckpointLine {
  type: "checkpoint";
  seq: string;
  jws: string;
}

/** ExportedRecord is an entry's content as its hash covers it, with the time in ISO 8601. */
export type ExportedRecord = Omit<AuditRecord, "createdAt"> & { createdAt: string };

/**
 * ExportEntryLine is an audit entry with its place in its lane's chain. inRange is false for the
 * entries beside the range that prove its ends: the one just before it, and those after it up to
 * one a checkpoint signed.
 */
export interface ExportEntryLine {
  type: "entry";
  inRange: boolean;
  lane: string;
  laneSeq: string;
  prevHash: string;
  hash: string;
  entry: ExportedRecord;
}

/** ExportLine is any line of an export. */
export type ExportLine = ExportHeaderLine | ExportCheckpointLine | ExportEntryLine;

/** exportedRecord is the export form of an entry's content. */
export function exportedRecord(record: AuditRecord): ExportedRecord {
  return { ...record, createdAt: record.createdAt.toISOString() };
}

/** importedRecord reads an exported entry back into exactly the content its hash covers. */
export function importedRecord(entry: ExportedRecord): AuditRecord {
  return {
    id: entry.id,
    actorUserId: entry.actorUserId,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    organizationId: entry.organizationId,
    oldValues: entry.oldValues,
    newValues: entry.newValues,
    reason: entry.reason,
    ipAddress: entry.ipAddress,
    userAgent: entry.userAgent,
    complianceRelevant: entry.complianceRelevant,
    createdAt: new Date(entry.createdAt),
    requestId: entry.requestId ?? null,
    onBehalfOfUserId: entry.onBehalfOfUserId ?? null,
  };
}
