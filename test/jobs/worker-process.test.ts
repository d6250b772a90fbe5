import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Queue } from "bullmq";
import { Redis as IORedis, type Redis } from "ioredis";
import { sql } from "kysely";
import pg from "pg";
import { bullPrefix } from "../../src/jobs/bull-queues.js";
import { queues } from "../../src/jobs/queues.js";
import { closeRedis } from "../../src/platform/redis.js";
import { deliverableEmail, SCREENING_ENV } from "../support/compliance.js";
import { startTestApp, TEST_DATA_KEY, type TestApp } from "../support/app.js";
import { CLI_TIMEOUT_MS, keyFile, startWorkerProcess, stopServe, useCliWorkspace, type Running } from "../support/cli.js";
import { eventually } from "../support/eventually.js";
import { registerUser, type RegisteredUser } from "../support/factories.js";
import { REDIS_URL, servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

useCliWorkspace();

// `serve` with Redis only relays: the jobs wait in BullMQ for `user-service worker` processes,
// which run here as operators run them, and are killed the way machines fail.
describeWithServices("user-service worker", () => {
  let t: TestApp;
  let env: Record<string, string>;
  let queue: Queue;
  let connection: Redis;
  const workers: Running[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: SCREENING_ENV });
    env = {
      ...SCREENING_ENV,
      DATABASE_URL: t.database!.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: t.namespace,
      JWT_PRIVATE_KEY_FILE: keyFile,
      DATA_ENCRYPTION_KEY: TEST_DATA_KEY.toString("base64"),
      JOB_LOCK_DURATION_MS: "2000",
    };
    connection = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue(queues.identityVerification, { connection, prefix: bullPrefix(t.namespace) });
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => stopServe(worker, "SIGKILL")));
    await queue?.close();
    if (connection) await closeRedis(connection, 1_000);
    await t?.close();
  });

  const startWorker = async () => {
    const worker = await startWorkerProcess(env);
    workers.push(worker);
    return worker;
  };
  const verificationOf = async (user: RegisteredUser) =>
    (await t.db.selectFrom("users").select("verification_status").where("id", "=", user.userId).executeTakeFirstOrThrow()).verification_status;
  const jobOf = async (user: RegisteredUser) => {
    const row = await t.db.selectFrom("outbox").select("id").where("queue", "=", queues.identityVerification).where(sql<string>`payload->>'userId'`, "=", user.userId).executeTakeFirstOrThrow();
    return row.id;
  };

  /** holdUser row-locks a user in a transaction of its own: a verification reaching the user waits, mid-job, until release. */
  async function holdUser(userId: string): Promise<() => Promise<void>> {
    const client = new pg.Client({ connectionString: t.database!.url });
    await client.connect();
    await client.query("begin");
    await client.query("select id from users where id = $1 for update", [userId]);
    return async () => {
      await client.query("rollback");
      await client.end();
    };
  }

  it(
    "runs nothing in serve, and a worker process runs the jobs that waited for it",
    async () => {
      const user = await registerUser(t, { email: deliverableEmail("worker"), fullName: "Margaret Okonkwo-Hale" });
      const id = await jobOf(user);
      await eventually(async () => (await queue.getJob(id))?.id, (found) => found === id, 10_000, "the job relayed to BullMQ");
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await queue.getJobState(id)).toBe("waiting");
      expect(await verificationOf(user)).toBe("pending");

      const worker = await startWorker();
      await eventually(() => verificationOf(user), (status) => status === "verified", 15_000, "the worker's verification");
      // With nothing left to do it keeps running, waiting for jobs.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(worker.child.exitCode).toBeNull();
      expect(await stopServe(worker)).toBe(0);
    },
    CLI_TIMEOUT_MS * 2,
  );

  it(
    "finishes the job in hand on SIGTERM before exiting",
    async () => {
      // The user is held before any worker runs, so the job cannot finish before the test holds it mid-way.
      const user = await registerUser(t, { email: deliverableEmail("worker"), fullName: "Oluwaseun Adebayo-Lindqvist" });
      const release = await holdUser(user.userId);
      const worker = await startWorker();
      const id = await jobOf(user);
      await eventually(() => queue.getJobState(id), (state) => state === "active", 15_000, "the job to be in hand");
      worker.child.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Still finishing its job (the log lines say why, should it have left).
      expect({ exitCode: worker.child.exitCode, log: worker.lines.map((line) => line.msg) }).toMatchObject({ exitCode: null });
      await release();
      expect(await worker.exited).toBe(0);
      expect(await verificationOf(user)).toBe("verified");
      expect(await queue.getJobState(id)).toBe("completed");
    },
    CLI_TIMEOUT_MS * 2,
  );

  it(
    "gives the job of a worker killed mid-job to another worker, which completes it once",
    async () => {
      const user = await registerUser(t, { email: deliverableEmail("worker"), fullName: "Ingrid Solberg-Achebe" });
      const release = await holdUser(user.userId);
      const first = await startWorker();
      const id = await jobOf(user);
      await eventually(() => queue.getJobState(id), (state) => state === "active", 15_000, "the job to be in hand");
      first.child.kill("SIGKILL");
      await first.exited;
      await release();
      expect(await verificationOf(user)).toBe("pending");

      const second = await startWorker();
      await eventually(() => verificationOf(user), (status) => status === "verified", 20_000, "the second worker to complete the job");
      const decisions = await t.db.selectFrom("audit_trail").select("id").where("action", "=", "user.identity_verification").where("resource_id", "=", user.userId).execute();
      expect(decisions).toHaveLength(1);
      await eventually(() => queue.getJobState(id), (state) => state === "completed", 10_000, "BullMQ to mark the job completed");
      expect(await stopServe(second)).toBe(0);
    },
    CLI_TIMEOUT_MS * 2,
  );
});
