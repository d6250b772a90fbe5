import type { ColumnType, Generated } from "kysely";
import type { JsonObject } from "../../shared/json.js";

/** OutboxTable holds jobs written in the transaction of the change that causes them, until relayed to their queue. */
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
