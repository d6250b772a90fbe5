import type { ColumnType } from "kysely";
import type { JsonObject } from "../../shared/json.js";

/** AuditTrailTable is the hash-chained audit trail: rows are appended, never changed. */
export interface AuditTrailTable {
  seq: ColumnType<string, never, never>;
  id: string;
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
  prev_hash: Buffer;
  hash: Buffer;
}
