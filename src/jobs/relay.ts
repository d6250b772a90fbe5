import type { Logger } from "../platform/logger.js";
import { withTimeout } from "../shared/with-timeout.js";
import type { BullQueues } from "./bull-queues.js";
import type { OutboxStore } from "./outbox-store.js";
import { Poller } from "./poller.js";
import type { Job, QueueName } from "./queues.js";

/** RELAY_BATCH is how many outbox rows one relay round moves. */
const RELAY_BATCH = 200;
/** ADD_TIMEOUT_MS bounds adding a batch to a stalled Redis; an add that lands later is harmless, as the rows are relayed again under the same job ids. */
const ADD_TIMEOUT_MS = 10_000;

/**
 * OutboxRelay moves committed jobs from the outbox to their BullMQ queues, with the outbox id as
 * BullMQ's jobId: a row relayed twice (a relay died between adding and marking) is one job. Rows
 * are taken under a lease, so relays in every replica share the work; when Redis cannot take them
 * they stay in the outbox and are tried again at the next poll, so no job is lost to an outage, and
 * none exists for a change that rolled back, as its row never committed.
 */
export class OutboxRelay {
  private readonly poller: Poller;
  /** Whether the last batch found Redis unable to take jobs: an outage is logged once, not at every poll. */
  private failing = false;

  constructor(
    private readonly store: OutboxStore,
    private readonly queues: BullQueues,
    private readonly log: Logger,
    private readonly pollIntervalMs: number,
  ) {
    this.poller = new Poller(pollIntervalMs, () => this.relayBatch(), log, "relaying the outbox");
  }

  /** start begins relaying. */
  start(): void {
    this.poller.start();
  }

  /** relayBatch relays one batch; it says whether a full batch went, so more may be waiting. */
  private async relayBatch(): Promise<boolean> {
    const jobs = await this.store.take(RELAY_BATCH, 30_000, false);
    if (jobs.length === 0) return false;
    const byQueue = new Map<QueueName, Job[]>();
    for (const job of jobs) byQueue.set(job.queue, [...(byQueue.get(job.queue) ?? []), job]);
    const relayed: string[] = [];
    let failure: unknown;
    for (const [queue, batch] of byQueue) {
      const target = this.queues.byName.get(queue);
      if (!target) {
        for (const job of batch) await this.store.deadLetter(job, `no queue "${queue}"`);
        continue;
      }
      try {
        await withTimeout(
          // The trace context travels as BullMQ's telemetry metadata, beside the job's data.
          target.addBulk(batch.map((job) => ({ name: job.name, data: job.payload, opts: { jobId: job.id, ...(job.traceContext && { telemetry: { metadata: job.traceContext } }) } }))),
          ADD_TIMEOUT_MS,
        );
        relayed.push(...batch.map((job) => job.id));
      } catch (error) {
        failure ??= error;
        await this.store.retryLater(batch.map((job) => job.id), this.pollIntervalMs, `relay: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    await this.store.done(relayed);
    if (failure) {
      if (!this.failing) this.log.warn({ error: failure instanceof Error ? failure.message : String(failure) }, "Redis cannot take jobs; they wait in the outbox");
      this.failing = true;
      return false;
    }
    if (this.failing) this.log.info("Redis takes jobs again; relaying the outbox");
    this.failing = false;
    return jobs.length === RELAY_BATCH;
  }

  /** stop ends relaying after the batch in hand. */
  stop(): Promise<void> {
    return this.poller.stop();
  }
}
