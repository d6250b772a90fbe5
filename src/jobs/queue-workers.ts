import { UnrecoverableError, Worker, type Job as BullJob } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "../platform/logger.js";
import { closeRedis } from "../platform/redis.js";
import { bullConnection, bullPrefix } from "./bull-queues.js";
import type { JobMetrics } from "./job-metrics.js";
import { runTraced } from "./job-tracing.js";
import type { OutboxStore } from "./outbox-store.js";
import { QUEUE_NAMES, type Job, type JobProcessors, type QueueName } from "./queues.js";
import { runJob } from "./run-job.js";

/** QueueWorkersOptions configure the BullMQ workers. */
export interface QueueWorkersOptions {
  redis: Redis;
  namespace: string;
  store: OutboxStore;
  processors: JobProcessors;
  metrics: JobMetrics;
  log: Logger;
  backoffMs: number;
  concurrency: number;
  /** A worker silent this long loses its job to another; stalled jobs are looked for twice as often. */
  lockDurationMs: number;
}

/** STALLED_LIMIT is how often a job may lose its worker (the process died) before it counts as failed for good. */
const STALLED_LIMIT = 3;

/**
 * QueueWorkers run every queue's jobs from BullMQ, through the same processors as the in-process
 * runner. BullMQ retries a failed job with exponential back-off; a permanent failure, the last
 * attempt's failure, and a job whose workers kept dying are recorded in the dead letters. A job
 * whose worker died is handed to another once its lock lapses.
 */
export class QueueWorkers {
  private readonly workers: Worker[];
  private readonly connection: Redis;

  constructor(private readonly options: QueueWorkersOptions) {
    this.connection = bullConnection(options.redis, options.log, true);
    this.workers = QUEUE_NAMES.map((queue) => this.workerFor(queue));
  }

  private workerFor(queue: QueueName): Worker {
    const { concurrency, lockDurationMs, namespace, store, log } = this.options;
    const worker = new Worker(queue, (job) => this.process(queue, job), {
      connection: this.connection,
      prefix: bullPrefix(namespace),
      concurrency,
      lockDuration: lockDurationMs,
      stalledInterval: Math.max(500, Math.floor(lockDurationMs / 2)),
      maxStalledCount: STALLED_LIMIT,
    });
    worker.on("failed", (job, error) => {
      // A job stalled too often never reached process()'s own dead-lettering.
      if (job && /stalled more than/.test(error.message)) {
        void store.deadLetter(this.jobOf(queue, job), error.message).catch((failure: unknown) => log.error({ err: failure, jobId: job.id }, "cannot record a dead letter"));
      }
    });
    worker.on("error", (error) => log.warn({ err: error, queue }, "job worker error"));
    return worker;
  }

  private jobOf(queue: QueueName, job: BullJob): Job {
    const traceContext = job.opts.telemetry?.metadata;
    return { id: job.id!, queue, name: job.name, payload: job.data, attempt: job.attemptsMade + 1, ...(traceContext && { traceContext }) };
  }

  private async process(queue: QueueName, bullJob: BullJob): Promise<void> {
    const { processors, metrics, log, backoffMs, store } = this.options;
    const job = this.jobOf(queue, bullJob);
    const outcome = await runTraced(job, "bullmq", () => runJob(job, processors, { attempts: bullJob.opts.attempts ?? 1, backoffMs }, metrics, log));
    if (outcome.kind === "completed") return;
    if (outcome.kind === "retry") throw new Error(outcome.error); // BullMQ waits its back-off and runs it again
    await store.deadLetter(job, outcome.error);
    throw new UnrecoverableError(outcome.error);
  }

  /** close takes no more jobs, waits for the jobs in hand to finish, and closes the connections. */
  async close(): Promise<void> {
    await Promise.allSettled(this.workers.map((worker) => worker.close()));
    await closeRedis(this.connection, 1_000);
  }
}
