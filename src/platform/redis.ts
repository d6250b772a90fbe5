import { Redis } from "ioredis";
import type { Logger } from "./logger.js";

/** RedisConnectionOptions are the client settings the service runs Redis with. */
export interface RedisConnectionOptions {
  /** Prefix of every key, so deployments (and test runs) sharing one Redis stay apart. */
  keyPrefix: string;
  /** How long any one command may take before it fails (a stalled or unreachable Redis). */
  commandTimeoutMs: number;
  log: Logger;
}

/**
 * connectRedis opens a client whose every command answers or fails within commandTimeoutMs: a
 * stalled Redis (paused, overloaded, a half-open connection) costs a call that long at most. While
 * disconnected, commands fail at once rather than wait in a queue, so callers answer UNAVAILABLE or
 * fall back; the client reconnects in the background. Connection errors are logged once per outage
 * as JSON, never left to ioredis's unhandled-error printing.
 */
export function connectRedis(url: string, options: RedisConnectionOptions): Redis {
  const redis = new Redis(url, {
    keyPrefix: options.keyPrefix,
    commandTimeout: options.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: Math.max(options.commandTimeoutMs, 2_000),
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  return reportOutages(redis, options.log);
}

/** reportOutages logs a client's connection errors once per outage as JSON, and its recovery, never leaving them to ioredis's unhandled-error printing. */
export function reportOutages(redis: Redis, log: Logger): Redis {
  let down = false;
  redis.on("error", (error: Error) => {
    if (down) return;
    down = true;
    log.warn({ error: error.message }, "Redis unreachable; retrying in the background");
  });
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    log.info("Redis reachable again");
  });
  return redis;
}

/**
 * waitForRedis resolves once the client is connected and ready, or rejects after timeoutMs with the
 * last connection error.
 */
export function waitForRedis(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (error: Error) => (lastError = error);
    const done = (error?: Error) => {
      clearTimeout(timer);
      redis.off("ready", onReady);
      redis.off("error", onError);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => done();
    const timer = setTimeout(() => done(lastError ?? new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    redis.on("ready", onReady);
    redis.on("error", onError);
  });
}

/**
 * closeRedis ends the connection politely when Redis answers, and cuts it when it does not: a
 * QUIT sent to a stalled Redis would hold shutdown until the stall ends.
 */
export async function closeRedis(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === "end") return;
  if (redis.status !== "ready") {
    redis.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const cut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([redis.quit().catch(() => undefined), cut]);
  clearTimeout(timer);
  if ((redis.status as string) !== "end") redis.disconnect();
}
