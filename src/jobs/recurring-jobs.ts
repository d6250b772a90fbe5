import { sql } from "kysely";
import type { Db } from "../db/database.js";
import { transaction } from "../db/transaction.js";
import type { Logger } from "../platform/logger.js";
import { enqueue } from "./outbox.js";
import type { QueueName } from "./queues.js";

/** RecurringJob is a job queued every everyMs, by whichever process gets there first. */
export interface RecurringJob {
  queue: QueueName;
  name: string;
  everyMs: number;
}

/** CHECK_EVERY_MS is how often a process looks for recurring jobs that are due. */
const CHECK_EVERY_MS = 10_000;

/**
 * RecurringJobs queues recurring jobs through the outbox. Each job's next time is a row in
 * job_schedules: a process moves it on and enqueues the job in one transaction, and only the one
 * whose update found the time passed does, so every process may run this and each job is queued
 * once per period. The first check after start queues a job never run before.
 */
export class RecurringJobs {
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<unknown> | undefined;

  constructor(
    private readonly db: Db,
    private readonly jobs: readonly RecurringJob[],
    private readonly log: Logger,
  ) {}

  /** start checks now and every CHECK_EVERY_MS until stop. */
  start(): void {
    const check = () => {
      this.checking = this.queueDue().catch((error: unknown) => this.log.warn({ err: error }, "cannot queue recurring jobs; trying again"));
      this.timer = setTimeout(check, CHECK_EVERY_MS);
    };
    check();
  }

  /** queueDue queues every job whose time has come and returns their names. */
  async queueDue(): Promise<string[]> {
    const queued: string[] = [];
    for (const job of this.jobs) {
      const key = `${job.queue}/${job.name}`;
      const claimed = await transaction(this.db, async (trx) => {
        await trx.insertInto("job_schedules").values({ name: key, next_run_at: sql<Date>`now()` }).onConflict((oc) => oc.column("name").doNothing()).execute();
        const moved = await trx
          .updateTable("job_schedules")
          .set({ next_run_at: sql<Date>`now() + ${job.everyMs} * interval '1 millisecond'` })
          .where("name", "=", key)
          .where("next_run_at", "<=", sql<Date>`now()`)
          .returning("name")
          .executeTakeFirst();
        if (moved) await enqueue(trx, job.queue, job.name, {});
        return moved !== undefined;
      });
      if (claimed) queued.push(key);
    }
    return queued;
  }

  /** stop checks no more and waits for a check in progress. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.checking;
  }
}
