import type { ColumnType } from "kysely";
import type { JsonObject } from "../../shared/json.js";

/** AuditTrailTable is the hash-chained audit trail: rows are appended, never changed. */
export interface AuditTrailTable {
  seq: ColumnType<string, never, never>;
  id: string;
  /** The hash chain this row belongs to: "org:<organization id>" or "platform:<n>". */
  lane: string;
  /** The row's position in its lane, from 1 without gaps. */
  lane_seq: ColumnType<string, string | number, never>;
  actor_user_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string;
  organization_id: string | null;
  old_values: ColumnType<JsonObject | null, string | null, never>;
  new_values: ColumnType<JsonObject | null, string | null, never>;
  reason: string | null;
  ip_address: string | null;
  user_agent: string | null;
  compliance_relevant: boolean;
  created_at: Date;
  /** The request id of the call that made the change; null for the system's own work. */
  request_id: string | null;
  /** The user the system acted for (a job an officer asked for); null otherwise. */
  on_behalf_of_user_id: string | null;
  prev_hash: Buffer;
  hash: Buffer;
}

/** AuditLaneHeadsTable holds each audit lane's last entry: where its next entry chains on, and what a checkpoint signs. */
export interface AuditLaneHeadsTable {
  lane: string;
  seq: ColumnType<string, string | number, string | number>;
  hash: Buffer;
  created_at: Date;
  /** The head's seq the latest checkpoint signed. */
  signed_seq: ColumnType<string, string | number | undefined, string | number>;
}

/** AuditCheckpointsTable holds the signed checkpoints of the lanes' heads, appended, never changed. */
export interface AuditCheckpointsTable {
  seq: ColumnType<string, never, never>;
  created_at: Date;
  jws: string;
  /** Whether it signs a retention cut (the last entries dropped) rather than heads. */
  cut: ColumnType<boolean, boolean | undefined, never>;
}
