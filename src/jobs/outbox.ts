import type { Tx } from "../db/database.js";
import type { JsonObject } from "../shared/json.js";

/** queues names the job queues outbox rows are bound for. Job payloads hold ids only, never secrets. */
export const queues = {
  identityVerification: "identity-verification",
} as const;

/** QueueName is one of the queues. */
export type QueueName = (typeof queues)[keyof typeof queues];

/**
 * enqueue writes a job to the outbox inside the transaction of the change that causes it, so the job
 * exists exactly when the change commits; the relay hands it to the queue afterwards.
 */
export async function enqueue(trx: Tx, queue: QueueName, jobName: string, payload: JsonObject): Promise<string> {
  const row = await trx
    .insertInto("outbox")
    .values({ queue, job_name: jobName, payload: JSON.stringify(payload) })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}
