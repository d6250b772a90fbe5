import { EventEmitter } from "node:events";
import type { Tx } from "../db/database.js";
import { afterCommit } from "../db/transaction.js";
import type { JsonObject } from "../shared/json.js";
import { queuing } from "./job-tracing.js";
import { queues, type QueueName } from "./queues.js";

export { queues, type QueueName } from "./queues.js";

/**
 * outboxWrites tells this process's relay or runner that a job was committed, so it is taken at
 * once rather than at the next poll. It only hurries: polling alone finds every job.
 */
export const outboxWrites = new EventEmitter().setMaxListeners(0);

/**
 * enqueue writes a job to the outbox inside the transaction of the change that causes it, so the job
 * exists exactly when the change commits; the relay (or the in-process runner) takes it afterwards.
 * The trace context it is queued in goes beside the payload, for the job's span to continue.
 */
export function enqueue(trx: Tx, queue: QueueName, jobName: string, payload: JsonObject): Promise<string> {
  return queuing(queue, jobName, async (traceContext) => {
    const row = await trx
      .insertInto("outbox")
      .values({ queue, job_name: jobName, payload: JSON.stringify(payload), trace_context: traceContext ?? null })
      .returning("id")
      .executeTakeFirstOrThrow();
    afterCommit(trx, async () => void outboxWrites.emit("written"));
    return row.id;
  });
}

/** SCORE_USER is the risk-scoring job: it scores one user ({userId}) after anything that moves their risk. */
export const SCORE_USER = "score-user";

/** queueRiskScoring queues the user's risk scoring inside the transaction of the change that moves their risk. */
export function queueRiskScoring(trx: Tx, userId: string): Promise<string> {
  return enqueue(trx, queues.riskScoring, SCORE_USER, { userId });
}
