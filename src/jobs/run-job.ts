import type { Logger } from "../platform/logger.js";
import type { JobMetrics } from "./job-metrics.js";
import { isPermanent, processorFor, type Job, type JobProcessors } from "./queues.js";

/** RetryPolicy is how often a job runs and how long it waits between runs. */
export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

/** JobOutcome is how a run ended: done, to be run again after a wait, or failed for good. */
export type JobOutcome = { kind: "completed" } | { kind: "retry"; error: string; delayMs: number } | { kind: "dead"; error: string; cause: unknown };

/** retryDelay is the exponential back-off before run attempt + 1, as BullMQ's "exponential" computes it. */
export function retryDelay(policy: RetryPolicy, attempt: number): number {
  return Math.round(2 ** (attempt - 1) * policy.backoffMs);
}

/** describe is what is kept of a failure: its message, never its data. */
function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * runJob runs one job's processor and says how it ended, with its duration and failures in the
 * metrics and each failure logged. The in-process runner and the BullMQ workers both run jobs
 * through it, so a job behaves the same in either.
 */
export async function runJob(job: Job, processors: JobProcessors, policy: RetryPolicy, metrics: JobMetrics, log: Logger): Promise<JobOutcome> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  try {
    await processorFor(processors, job.queue, job.name)(job);
    metrics.ran(job.queue, job.name, "completed", elapsed());
    return { kind: "completed" };
  } catch (error) {
    const fields = { err: error, jobId: job.id, queue: job.queue, job: job.name, attempt: job.attempt };
    if (isPermanent(error) || job.attempt >= policy.attempts) {
      metrics.ran(job.queue, job.name, "dead", elapsed());
      log.error(fields, "job failed for good: it waits in the dead letters");
      return { kind: "dead", error: describe(error), cause: error };
    }
    metrics.ran(job.queue, job.name, "retried", elapsed());
    const delayMs = retryDelay(policy, job.attempt);
    log.warn({ ...fields, retryInMs: delayMs }, "job failed; it runs again");
    return { kind: "retry", error: describe(error), delayMs };
  }
}
