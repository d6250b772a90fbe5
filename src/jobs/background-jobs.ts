import type { Redis } from "ioredis";
import type { Registry } from "prom-client";
import type { Config } from "../config.js";
import type { Db } from "../db/database.js";
import type { Logger } from "../platform/logger.js";
import { BullQueues } from "./bull-queues.js";
import { InProcessJobRunner } from "./in-process-runner.js";
import { JobMetrics } from "./job-metrics.js";
import { OutboxStore } from "./outbox-store.js";
import { QueueWorkers } from "./queue-workers.js";
import type { JobProcessors } from "./queues.js";
import { RecurringJobs, type RecurringJob } from "./recurring-jobs.js";
import { OutboxRelay } from "./relay.js";

/** BackgroundJobsOptions say where jobs live and what runs them. */
export interface BackgroundJobsOptions {
  db: Db;
  /** The service's Redis client; undefined: jobs run in this process straight from the outbox. */
  redis: Redis | undefined;
  namespace: string;
  config: Config["jobs"];
  processors: JobProcessors;
  /** Jobs queued on a schedule; every process may queue them, each is queued once per period. */
  recurring: RecurringJob[];
  metrics: Registry;
  log: Logger;
  /** With Redis: also run the BullMQ workers here (`worker`, or `serve --workers`), not only relay. */
  runWorkers: boolean;
}

/** BackgroundJobs are this process's part in running jobs: "in-process", "relay" or "relay+workers". */
export interface BackgroundJobs {
  mode: "in-process" | "relay" | "relay+workers";
  /** close stops taking jobs and waits for the ones in hand. */
  close(): Promise<void>;
}

/**
 * startBackgroundJobs starts what this process does with jobs. Without Redis it runs them itself
 * from the outbox. With Redis it relays the outbox to BullMQ, and runs the workers when asked; the
 * processors are the same either way.
 */
export function startBackgroundJobs(options: BackgroundJobsOptions): BackgroundJobs {
  const { db, redis, namespace, config, processors, log } = options;
  const store = new OutboxStore(db);
  const policy = { attempts: config.attempts, backoffMs: config.backoffMs };
  const deadLetters = () => store.deadLettersWaiting();
  const scheduler = new RecurringJobs(db, options.recurring, log);
  scheduler.start();
  if (!redis) {
    const metrics = new JobMetrics(options.metrics, () => store.backlog(), deadLetters, log);
    const runner = new InProcessJobRunner({ store, processors, metrics, log, policy, concurrency: config.concurrency, pollIntervalMs: config.pollIntervalMs, leaseMs: config.lockDurationMs });
    runner.start();
    return {
      mode: "in-process",
      async close() {
        await scheduler.stop();
        await runner.stop();
      },
    };
  }
  const queues = new BullQueues(redis, namespace, policy, log);
  const depth = async () => {
    const [backlog, waiting] = await Promise.all([store.backlog(), queues.waiting()]);
    return new Map([...new Set([...backlog.keys(), ...waiting.keys()])].map((queue) => [queue, (backlog.get(queue) ?? 0) + (waiting.get(queue) ?? 0)]));
  };
  const metrics = new JobMetrics(options.metrics, depth, deadLetters, log);
  const relay = new OutboxRelay(store, queues, log, config.pollIntervalMs);
  relay.start();
  const workers = options.runWorkers
    ? new QueueWorkers({ redis, namespace, store, processors, metrics, log, backoffMs: config.backoffMs, concurrency: config.concurrency, lockDurationMs: config.lockDurationMs })
    : undefined;
  return {
    mode: workers ? "relay+workers" : "relay",
    async close() {
      await scheduler.stop();
      await relay.stop();
      await workers?.close();
      await queues.close();
    },
  };
}
