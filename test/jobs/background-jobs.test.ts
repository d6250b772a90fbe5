import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { Registry } from "prom-client";
import { loadConfig } from "../../src/config.js";
import { connectPostgres, type DatabaseHandle } from "../../src/db/create-database.js";
import { transaction } from "../../src/db/transaction.js";
import { startBackgroundJobs, type BackgroundJobs } from "../../src/jobs/background-jobs.js";
import { bullPrefix } from "../../src/jobs/bull-queues.js";
import { enqueue, queues } from "../../src/jobs/outbox.js";
import { OutboxStore } from "../../src/jobs/outbox-store.js";
import { PermanentJobFailure, type Job, type JobProcessors } from "../../src/jobs/queues.js";
import { RecurringJobs } from "../../src/jobs/recurring-jobs.js";
import { createLogger } from "../../src/platform/logger.js";
import { closeRedis, connectRedis, waitForRedis } from "../../src/platform/redis.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { eventually } from "../support/eventually.js";
import { REDIS_URL, servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;
const log = createLogger("silent");
const jobsConfig = { ...loadConfig({}).jobs, attempts: 3, backoffMs: 50, pollIntervalMs: 100, lockDurationMs: 2_000 };

/** Recorder is a set of processors for the tests' own jobs: each run is recorded, and a job fails the ways its payload says. */
function recorder() {
  const runs: Job[] = [];
  const processors: JobProcessors = {
    [queues.maintenance]: {
      record: async (job) => {
        runs.push(job);
        const { failTimes = 0, permanent = false } = job.payload as { failTimes?: number; permanent?: boolean };
        if (permanent) throw new PermanentJobFailure("this job can never succeed");
        if (job.attempt <= failTimes) throw new Error(`failure ${job.attempt} of ${failTimes}`);
      },
    },
  };
  const runsOf = (id: string) => runs.filter((run) => run.id === id);
  return { runs, processors, runsOf };
}

describeWithServices.each([
  ["in this process (no Redis)", false],
  ["through BullMQ (relay and workers)", true],
] as const)("background jobs %s", (_, withRedis) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let redis: Redis | undefined;
  let running: BackgroundJobs | undefined;
  const namespace = `test:jobs:${process.pid}:${withRedis ? "r" : "p"}:`;

  beforeAll(async () => {
    database = await createTestDatabase();
    handle = connectPostgres(database.url, 8);
    if (withRedis) {
      redis = connectRedis(REDIS_URL, { keyPrefix: namespace, commandTimeoutMs: 2_000, log });
      await waitForRedis(redis, 5_000);
    }
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });
  afterAll(async () => {
    if (redis) {
      const plain = redis.duplicate({ keyPrefix: "", enableOfflineQueue: true });
      const keys = await plain.keys(`${bullPrefix(namespace)}*`);
      if (keys.length) await plain.del(...keys);
      await closeRedis(plain, 1_000);
      await closeRedis(redis, 1_000);
    }
    await handle?.close();
    await database?.drop();
  });

  const start = (processors: JobProcessors, metrics = new Registry()) => {
    running = startBackgroundJobs({ db: handle.db, redis, namespace, config: jobsConfig, processors, recurring: [], metrics, log, runWorkers: true });
    return running;
  };
  const write = (payload: Record<string, unknown> = {}) => transaction(handle.db, (trx) => enqueue(trx, queues.maintenance, "record", payload as never));
  const outboxRow = (id: string) => handle.db.selectFrom("outbox").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  const deadLetter = (id: string) => handle.db.selectFrom("dead_letters").selectAll().where("id", "=", id).executeTakeFirst();

  it("runs a committed job once, under its outbox id, and never one whose change rolled back", async () => {
    const { processors, runs, runsOf } = recorder();
    const jobs = start(processors);
    expect(jobs.mode).toBe(withRedis ? "relay+workers" : "in-process");
    const committed = await write({ userId: "u1" });
    await expect(
      transaction(handle.db, async (trx) => {
        await enqueue(trx, queues.maintenance, "record", { rolledBack: true });
        throw new Error("the change fails");
      }),
    ).rejects.toThrow("the change fails");

    await eventually(async () => runsOf(committed).length, (n) => n === 1, 10_000, "the committed job");
    await eventually(async () => (await outboxRow(committed)).dispatched_at, (at) => at !== null, 5_000, "the job to leave the backlog");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runs.map((run) => run.payload)).toEqual([{ userId: "u1" }]);
    expect(runs[0]).toMatchObject({ id: committed, queue: "maintenance", name: "record", attempt: 1 });
  });

  it("retries a failing job with exponential back-off until it succeeds", async () => {
    const { processors, runsOf } = recorder();
    start(processors);
    const started = Date.now();
    const id = await write({ failTimes: 2 });
    await eventually(async () => runsOf(id).length, (n) => n === 3, 10_000, "three runs");
    // Back-off of 50 ms, then 100 ms: the third run comes at least 150 ms after the job was written.
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(runsOf(id).map((run) => run.attempt)).toEqual([1, 2, 3]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runsOf(id)).toHaveLength(3);
    expect(await deadLetter(id)).toBeUndefined();
  });

  it("moves a job to the dead letters at once on a permanent failure, and after its last attempt otherwise, shown in the metrics", async () => {
    const { processors, runsOf } = recorder();
    const metrics = new Registry();
    start(processors, metrics);
    const permanent = await write({ permanent: true });
    const exhausted = await write({ failTimes: 99 });

    const dead = await eventually(() => deadLetter(permanent), (row) => row !== undefined, 10_000, "the permanent failure's dead letter");
    expect(dead).toMatchObject({ queue: "maintenance", job_name: "record", payload: { permanent: true }, attempts: 1, requeued_at: null });
    expect(dead!.error).toContain("this job can never succeed");
    expect(runsOf(permanent)).toHaveLength(1);

    const spent = await eventually(() => deadLetter(exhausted), (row) => row !== undefined, 10_000, "the exhausted job's dead letter");
    expect(spent).toMatchObject({ attempts: 3, error: expect.stringContaining("failure 3 of 99") });
    expect(runsOf(exhausted)).toHaveLength(3);

    const text = await metrics.metrics();
    expect(text).toMatch(/job_dead_letters\{queue="maintenance"\} 2/);
    expect(text).toMatch(/job_failures_total\{queue="maintenance",job="record"\} 4/);
    expect(text).toMatch(/job_duration_seconds_count\{queue="maintenance",job="record",outcome="dead"\} 2/);
    expect(text).toMatch(/job_queue_depth\{queue="identity-verification"\} 0/);
  });

  it("runs a re-queued dead letter again as a new job, once, however many operators re-queue it", async () => {
    const { processors, runs } = recorder();
    start(processors);
    const id = await write({ permanent: true });
    await eventually(() => deadLetter(id), (row) => row !== undefined, 10_000, "the dead letter");

    const store = new OutboxStore(handle.db);
    const [first, second] = await Promise.all([store.requeue({ ids: [id] }), store.requeue({ ids: [id] })]);
    const moved = [...first, ...second];
    expect(moved).toEqual([{ id, requeuedAs: expect.any(String) }]);
    await eventually(async () => runs.filter((run) => run.id === moved[0]!.requeuedAs).length, (n) => n === 1, 10_000, "the re-queued job");
    expect(await deadLetter(id)).toMatchObject({ requeued_as: moved[0]!.requeuedAs, requeued_at: expect.any(Date) });
    expect(await store.deadLetters({ ids: [id] })).toEqual([]);
  });

  it("lets the jobs in hand finish when it stops, and takes no more", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started: string[] = [];
    const finished: string[] = [];
    const jobs = start({
      [queues.maintenance]: {
        record: async (job) => {
          started.push(job.id);
          await gate;
          finished.push(job.id);
        },
      },
    });
    const id = await write();
    await eventually(async () => started, (ids) => ids.includes(id), 10_000, "the job to start");
    const stopping = jobs.close();
    running = undefined;
    setTimeout(release, 200);
    await stopping;
    expect(finished).toEqual([id]);
    const after = await write();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(started).toEqual([id]);
    expect((await outboxRow(after)).dispatched_at).toBeNull();
  });

  it("queues a recurring job once per period however many processes schedule it, and runs it", async () => {
    const ticks: Job[] = [];
    start({ [queues.maintenance]: { tick: async (job) => void ticks.push(job) } });
    const every = { queue: queues.maintenance, name: "tick", everyMs: 1_500 };
    const replicas = [1, 2, 3].map(() => new RecurringJobs(handle.db, [every], log));
    const first = await Promise.all(replicas.map((replica) => replica.queueDue()));
    expect(first.flat()).toEqual(["maintenance/tick"]);
    expect((await Promise.all(replicas.map((replica) => replica.queueDue()))).flat()).toEqual([]);
    await eventually(async () => ticks.length, (n) => n === 1, 10_000, "the recurring job to run");
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect((await Promise.all(replicas.map((replica) => replica.queueDue()))).flat()).toEqual(["maintenance/tick"]);
    await eventually(async () => ticks.length, (n) => n === 2, 10_000, "the second period's run");
  });

  if (withRedis) {
    it("adds a job relayed twice to BullMQ once: its jobId is the outbox id", async () => {
      const { processors, runsOf } = recorder();
      start(processors);
      const id = await write();
      await eventually(async () => runsOf(id).length, (n) => n === 1, 10_000, "the job");
      // A relay that died after adding but before marking the row leaves it to be relayed again.
      await handle.db.updateTable("outbox").set({ dispatched_at: null, available_at: new Date(0) }).where("id", "=", id).execute();
      await eventually(async () => (await outboxRow(id)).dispatched_at, (at) => at !== null, 5_000, "the second relay");
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(runsOf(id)).toHaveLength(1);
      const connection = redis!.duplicate({ keyPrefix: "", enableOfflineQueue: true });
      const queue = new Queue(queues.maintenance, { connection, prefix: bullPrefix(namespace) });
      try {
        expect((await queue.getJob(id))?.id).toBe(id);
      } finally {
        await queue.close();
        await closeRedis(connection, 1_000);
      }
    });
  }
});
