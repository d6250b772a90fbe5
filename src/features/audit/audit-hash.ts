import canonicalize from "canonicalize";
import { sha256 } from "../../platform/crypto/random.js";
import type { JsonObject } from "../../shared/json.js";

/** GENESIS_HASH is the prev_hash of the first audit row. */
export const GENESIS_HASH = Buffer.alloc(32);

/** AuditRecord is the content of an audit row that its hash covers. */
export interface AuditRecord {
  id: string;
  actorUserId: string | null;
  action: string;
  resourceType: string;
  resourceId: string;
  organizationId: string | null;
  oldValues: JsonObject | null;
  newValues: JsonObject | null;
  reason: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  complianceRelevant: boolean;
  createdAt: Date;
  requestId: string | null;
  onBehalfOfUserId: string | null;
}

/**
 * auditHash is SHA-256 over the previous row's hash and the RFC 8785 canonical JSON of this row, so
 * the value survives jsonb's key reordering and any edit or removal of a row breaks every later hash.
 * The request id and on-behalf-of user are covered when set; rows written before they were recorded
 * have neither, and keep their hashes.
 */
export function auditHash(prevHash: Buffer, record: AuditRecord): Buffer {
  const { requestId, onBehalfOfUserId, ...content } = record;
  const body = canonicalize({
    ...content,
    createdAt: record.createdAt.toISOString(),
    ...(requestId !== null && { requestId }),
    ...(onBehalfOfUserId !== null && { onBehalfOfUserId }),
  });
  return sha256(Buffer.concat([prevHash, Buffer.from(body ?? "", "utf8")]));
}
