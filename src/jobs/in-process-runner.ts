import type { Logger } from "../platform/logger.js";
import type { JobMetrics } from "./job-metrics.js";
import { runTraced } from "./job-tracing.js";
import type { OutboxStore } from "./outbox-store.js";
import { Poller } from "./poller.js";
import type { Job, JobProcessors } from "./queues.js";
import { runJob, type RetryPolicy } from "./run-job.js";

/** InProcessRunnerOptions configure the runner. */
export interface InProcessRunnerOptions {
  store: OutboxStore;
  processors: JobProcessors;
  metrics: JobMetrics;
  log: Logger;
  policy: RetryPolicy;
  concurrency: number;
  pollIntervalMs: number;
  /** How long a taken job is this runner's; a runner that dies loses its jobs to the next one after it. */
  leaseMs: number;
}

/**
 * InProcessJobRunner runs jobs straight from the outbox, without Redis: embedded mode, and Postgres
 * as a single replica. A job is taken under a lease, run, and then marked done, given back with a
 * back-off, or moved to the dead letters. A process that dies mid-job leaves the row leased; it is
 * taken again when the lease ends, so a job's effect happens even then (processors are idempotent).
 */
export class InProcessJobRunner {
  private readonly inHand = new Set<Promise<void>>();
  private readonly poller: Poller;

  constructor(private readonly options: InProcessRunnerOptions) {
    this.poller = new Poller(options.pollIntervalMs, () => this.takeMore(), options.log, "running jobs from the outbox");
  }

  /** start begins taking jobs. */
  start(): void {
    this.poller.start();
  }

  /** takeMore fills the free slots with due jobs; each job that ends wakes the poller to fill its slot again. */
  private async takeMore(): Promise<boolean> {
    const free = this.options.concurrency - this.inHand.size;
    if (free <= 0) return false;
    const jobs = await this.options.store.take(free, this.options.leaseMs, true);
    for (const job of jobs) {
      const running = this.run(job).finally(() => {
        this.inHand.delete(running);
        this.poller.wake();
      });
      this.inHand.add(running);
    }
    return false;
  }

  private async run(job: Job): Promise<void> {
    const { store, processors, policy, metrics, log } = this.options;
    const outcome = await runTraced(job, "outbox", () => runJob(job, processors, policy, metrics, log));
    try {
      if (outcome.kind === "completed") await store.done([job.id]);
      else if (outcome.kind === "retry") await store.retryLater([job.id], outcome.delayMs, outcome.error);
      else await store.deadLetter(job, outcome.error);
    } catch (error) {
      // The lease ends and the job runs again: harmless, as processors are idempotent.
      log.warn({ err: error, jobId: job.id }, "cannot record a job's outcome; it runs again when its lease ends");
    }
  }

  /** stop takes no more jobs and waits for those in hand to finish. */
  async stop(): Promise<void> {
    await this.poller.stop();
    await Promise.allSettled([...this.inHand]);
  }
}
