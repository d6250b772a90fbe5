import { sql } from "kysely";
import type { Db } from "../db/database.js";
import { transaction } from "../db/transaction.js";
import type { JsonObject } from "../shared/json.js";
import { outboxWrites } from "./outbox.js";
import type { Job, QueueName } from "./queues.js";

/** DeadLetter is a job that failed for good, as an operator sees it. */
export interface DeadLetter {
  id: string;
  queue: string;
  jobName: string;
  payload: JsonObject;
  attempts: number;
  error: string;
  failedAt: Date;
}

/** DeadLetterChoice picks dead letters: some by id, or a queue's, or (empty) every one waiting. */
export interface DeadLetterChoice {
  ids?: string[];
  queue?: string;
}

/** ERROR_TEXT_LIMIT bounds the error kept with a failed job; a message longer than this is cut. */
const ERROR_TEXT_LIMIT = 2_000;

const QUEUE_COUNT = ["queue", sql<string>`count(*)`.as("count")] as const;
const byQueue = (rows: Array<{ queue: string; count: string }>) => new Map(rows.map((row) => [row.queue, Number(row.count)]));

/** waiting selects the chosen dead letters nobody has re-queued, oldest first. */
const waiting = (db: Db, choice: DeadLetterChoice) =>
  db
    .selectFrom("dead_letters")
    .selectAll()
    .where("requeued_at", "is", null)
    .$if(choice.ids !== undefined, (q) => q.where("id", "in", choice.ids!))
    .$if(choice.queue !== undefined, (q) => q.where("queue", "=", choice.queue!))
    .orderBy("failed_at");

const later = (ms: number) => sql<Date>`now() + ${ms} * interval '1 millisecond'`;

/**
 * OutboxStore is the outbox and the dead letters in the database. Jobs are taken with
 * `for update skip locked` and a lease (available_at moves past the lease), so any number of relays
 * and runners share the outbox without taking a row twice, and a row whose taker died is taken again
 * once the lease ends.
 */
export class OutboxStore {
  constructor(private readonly db: Db) {}

  /**
   * take leases up to limit rows that are due, oldest first, for leaseMs. Runs count an attempt
   * (runs: true); a relay only moves rows to their queue, which is no attempt of the job.
   */
  async take(limit: number, leaseMs: number, runs: boolean): Promise<Job[]> {
    const due = this.db
      .selectFrom("outbox")
      .select("id")
      .where("dispatched_at", "is", null)
      .where("available_at", "<=", sql<Date>`now()`)
      .orderBy("available_at")
      .limit(limit)
      .forUpdate()
      .skipLocked();
    const rows = await this.db
      .updateTable("outbox")
      .set((eb) => ({ available_at: later(leaseMs), attempts: runs ? eb("attempts", "+", 1) : eb.ref("attempts") }))
      .where("id", "in", due)
      .returning(["id", "queue", "job_name", "payload", "attempts", "trace_context"])
      .execute();
    return rows.map((row) => ({
      id: row.id,
      queue: row.queue as QueueName,
      name: row.job_name,
      payload: row.payload,
      attempt: row.attempts,
      ...(row.trace_context !== null && { traceContext: row.trace_context }),
    }));
  }

  /** done marks jobs run or handed to their queue: they leave the outbox's backlog. */
  async done(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable("outbox").set({ dispatched_at: sql<Date>`now()`, last_error: null }).where("id", "in", ids).execute();
  }

  /** retryLater gives jobs back to be taken again after delayMs, noting why they failed. */
  async retryLater(ids: string[], delayMs: number, error: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable("outbox")
      .set({ available_at: later(delayMs), last_error: error.slice(0, ERROR_TEXT_LIMIT) })
      .where("id", "in", ids)
      .execute();
  }

  /**
   * deadLetter records a job that failed for good and takes it out of the outbox's backlog (a job
   * a BullMQ worker gave up on left it when it was relayed). Recording it twice keeps the first.
   */
  async deadLetter(job: Job, error: string): Promise<void> {
    await transaction(this.db, async (trx) => {
      await trx
        .insertInto("dead_letters")
        .values({ id: job.id, queue: job.queue, job_name: job.name, payload: JSON.stringify(job.payload), attempts: job.attempt, error: error.slice(0, ERROR_TEXT_LIMIT) })
        .onConflict((oc) => oc.column("id").doNothing())
        .execute();
      await trx.updateTable("outbox").set({ dispatched_at: sql<Date>`now()`, last_error: error.slice(0, ERROR_TEXT_LIMIT) }).where("id", "=", job.id).where("dispatched_at", "is", null).execute();
    });
  }

  /** backlog counts the jobs in the outbox not yet run or relayed, by queue. */
  async backlog(): Promise<Map<string, number>> {
    return byQueue(await this.db.selectFrom("outbox").select(QUEUE_COUNT).where("dispatched_at", "is", null).groupBy("queue").execute());
  }

  /** deadLettersWaiting counts the dead letters nobody has re-queued, by queue. */
  async deadLettersWaiting(): Promise<Map<string, number>> {
    return byQueue(await this.db.selectFrom("dead_letters").select(QUEUE_COUNT).where("requeued_at", "is", null).groupBy("queue").execute());
  }

  /** deadLetters lists the dead letters nobody has re-queued, oldest first, at most limit of them. */
  async deadLetters(choice: DeadLetterChoice = {}, limit = 1_000): Promise<DeadLetter[]> {
    if (choice.ids?.length === 0) return [];
    const rows = await waiting(this.db, choice).orderBy("id").limit(limit).execute();
    return rows.map((row) => ({ id: row.id, queue: row.queue, jobName: row.job_name, payload: row.payload, attempts: row.attempts, error: row.error, failedAt: row.failed_at }));
  }

  /**
   * requeue gives chosen dead letters a fresh start: each becomes a new outbox row (a new id, as
   * BullMQ may still hold the failed job under the old one) with every attempt again, and is marked
   * re-queued in the same transaction, so two operators re-queueing at once queue each job once.
   */
  async requeue(choice: DeadLetterChoice): Promise<Array<{ id: string; requeuedAs: string }>> {
    if (choice.ids?.length === 0) return [];
    const moved = await transaction(this.db, async (trx) => {
      const letters = await waiting(trx, choice).forUpdate().skipLocked().execute();
      const result: Array<{ id: string; requeuedAs: string }> = [];
      for (const letter of letters) {
        const { id: requeuedAs } = await trx
          .insertInto("outbox")
          .values({ queue: letter.queue, job_name: letter.job_name, payload: JSON.stringify(letter.payload) })
          .returning("id")
          .executeTakeFirstOrThrow();
        await trx.updateTable("dead_letters").set({ requeued_at: sql<Date>`now()`, requeued_as: requeuedAs }).where("id", "=", letter.id).execute();
        result.push({ id: letter.id, requeuedAs });
      }
      return result;
    });
    if (moved.length) outboxWrites.emit("written");
    return moved;
  }
}
