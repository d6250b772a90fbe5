import type { Kysely } from "kysely";

// The W3C trace context of the change that queued a job (traceparent and tracestate, as JSON), so
// the job's span continues that change's trace. Kept beside the payload, which holds only what the
// job's processor reads; null when nothing was traced.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("outbox").addColumn("trace_context", "text").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("outbox").dropColumn("trace_context").execute();
}
