import type { ColumnType, Generated } from "kysely";
import type { JsonObject } from "../../shared/json.js";

/** OutboxTable holds jobs written in the transaction of the change that causes them, until relayed to their queue or run. */
export interface OutboxTable {
  id: Generated<string>;
  queue: string;
  job_name: string;
  payload: ColumnType<JsonObject, string, never>;
  created_at: ColumnType<Date, Date | undefined, never>;
  /** When the row may next be taken: now for a new row, later while claimed (a lease) or backing off after a failure. */
  available_at: ColumnType<Date, Date | undefined, Date>;
  dispatched_at: Date | null;
  attempts: Generated<number>;
  last_error: string | null;
  /** The W3C trace context (JSON of traceparent and tracestate) of the change that queued the job; null when it was not traced. */
  trace_context: ColumnType<string | null, string | null | undefined, never>;
}

/** DeadLettersTable holds the jobs that failed for good (a permanent failure or every attempt spent), keyed by their outbox id. */
export interface DeadLettersTable {
  id: string;
  queue: string;
  job_name: string;
  payload: ColumnType<JsonObject, string, never>;
  attempts: number;
  error: string;
  failed_at: ColumnType<Date, Date | undefined, never>;
  requeued_at: Date | null;
  /** The outbox id of the job re-queued in its place. */
  requeued_as: string | null;
}

/** JobSchedulesTable holds when each recurring job is next due; the process that moves the time on enqueues the job. */
export interface JobSchedulesTable {
  name: string;
  next_run_at: Date;
}
