import { Queue, type DefaultJobOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "../platform/logger.js";
import { closeRedis, reportOutages } from "../platform/redis.js";
import type { RetryPolicy } from "./run-job.js";
import { QUEUE_NAMES, type QueueName } from "./queues.js";

/** bullPrefix is where BullMQ keeps a deployment's queues: under its Redis namespace, like every other key. */
export function bullPrefix(namespace: string): string {
  return `${namespace}bull`;
}

/**
 * bullConnection is a client for BullMQ made from the service's own: BullMQ prefixes its keys
 * itself and refuses a client that does. A blocking one (for workers) waits for Redis as long as
 * it takes, as BullMQ requires; the others keep the service's single retry, so a relay finds Redis
 * down within seconds (and bounds a stalled Redis itself) and leaves its jobs in the outbox.
 */
export function bullConnection(redis: Redis, log: Logger, blocking: boolean): Redis {
  // BullMQ sends its first command as it is built, before the connection is up, and a failure of
  // that one is final: it must wait in the offline queue, with no command timeout.
  const settings = blocking
    ? { keyPrefix: "", maxRetriesPerRequest: null, enableOfflineQueue: true, commandTimeout: undefined }
    : { keyPrefix: "", enableOfflineQueue: true, commandTimeout: undefined };
  return reportOutages(redis.duplicate(settings), log);
}

/** jobOptions are the options every relayed job carries: its retries with exponential back-off, and how long BullMQ keeps it. */
export function jobOptions(policy: RetryPolicy): DefaultJobOptions {
  return {
    attempts: policy.attempts,
    backoff: { type: "exponential", delay: policy.backoffMs },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/** BullQueues are the BullMQ queues a relay adds to, on one connection of their own. */
export class BullQueues {
  readonly byName: ReadonlyMap<QueueName, Queue>;
  private readonly connection: Redis;

  constructor(redis: Redis, namespace: string, policy: RetryPolicy, log: Logger) {
    this.connection = bullConnection(redis, log, false);
    const prefix = bullPrefix(namespace);
    this.byName = new Map(
      QUEUE_NAMES.map((name) => {
        const queue = new Queue(name, { connection: this.connection, prefix, defaultJobOptions: jobOptions(policy), skipWaitingForReady: true });
        // Connection errors are the connection's to report (once per outage); a failed add is the relay's.
        queue.on("error", () => undefined);
        return [name, queue];
      }),
    );
  }

  /** waiting counts the jobs waiting in each queue: ready, delayed for a retry, or prioritised. */
  async waiting(): Promise<Map<string, number>> {
    const counts = await Promise.all(
      [...this.byName].map(async ([name, queue]) => {
        const byState = await queue.getJobCounts("waiting", "delayed", "prioritized");
        return [name, Object.values(byState).reduce((sum, n) => sum + n, 0)] as const;
      }),
    );
    return new Map(counts);
  }

  /** close closes the queues and their connection. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.byName.values()].map((queue) => queue.close()));
    await closeRedis(this.connection, 1_000);
  }
}
