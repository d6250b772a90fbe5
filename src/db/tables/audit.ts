import type { ColumnType, Generated } from "kysely";

export type JsonObject = { [key: string]: unknown };

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

export interface OutboxTable {
  id: Generated<string>;
  queue: string;
  job_name: string;
  payload: ColumnType<JsonObject, string, never>;
  created_at: ColumnType<Date, Date | undefined, never>;
  dispatched_at: Date | null;
  attempts: Generated<number>;
  last_error: string | null;
}
