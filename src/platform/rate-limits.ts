import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";

/** LimitExceeded is thrown by Limiter.consume when a key has no points left. */
export class LimitExceeded extends Error {
  constructor(readonly retryAfterMs: number) {
    super("rate limit exceeded");
    this.name = "LimitExceeded";
  }
}

/**
 * Limiter counts events per key in a fixed window: Redis-backed and shared by every replica in
 * production (falling back to process memory while Redis is unreachable), in memory embedded.
 */
export class Limiter {
  private readonly limiter: RateLimiterAbstract;

  constructor(name: string, points: number, windowSeconds: number, redis: Redis | undefined) {
    const options = { keyPrefix: `limit:${name}`, points, duration: windowSeconds };
    this.limiter = redis
      ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) })
      : new RateLimiterMemory(options);
  }

  /** consume takes `points` for key and throws LimitExceeded when that goes past the limit. */
  async consume(key: string, points = 1): Promise<void> {
    try {
      await this.limiter.consume(key, points);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw new LimitExceeded(error.msBeforeNext);
      throw error;
    }
  }

  /** refund gives back `points` taken for key, e.g. an attempt that turned out to succeed. */
  async refund(key: string, points = 1): Promise<void> {
    await this.limiter.reward(key, points);
  }

  /** reset forgets key's count, e.g. an account's failures after a successful sign-in. */
  async reset(key: string): Promise<void> {
    await this.limiter.delete(key);
  }
}
