import { Redis } from "ioredis";

/**
 * connectRedis opens a client that fails commands fast while Redis is down instead of queueing them,
 * so callers can answer UNAVAILABLE or fall back, and reconnects in the background.
 */
export function connectRedis(url: string, keyPrefix = ""): Redis {
  return new Redis(url, {
    keyPrefix,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 5_000,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}
