import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { DomainError } from "../shared/domain-error.js";

/**
 * LimitExceeded is thrown by Limiter.consume when a key has no points left: a resource_exhausted
 * DomainError whose reason is the limit's name and whose retryAfterMs is when the window ends.
 */
export class LimitExceeded extends DomainError {
  declare readonly retryAfterMs: number;

  constructor(
    reason: string,
    retryAfterMs: number,
    /** Whether this is the key's first refusal in its window (the one that locked it out). */
    readonly first: boolean,
  ) {
    super("resource_exhausted", reason, "too many attempts, try again later", { retryAfterMs });
    this.name = "LimitExceeded";
  }
}

/** LimitOptions names a limit and sizes its window. */
export interface LimitOptions {
  /** Prefix of the limit's keys. */
  name: string;
  /** What LimitExceeded says was hit, e.g. `login_rate_ip`. */
  reason: string;
  points: number;
  windowSeconds: number;
}

/**
 * Limiter counts events per key in a fixed window: Redis-backed and shared by every replica in
 * production (falling back to process memory while Redis is unreachable), in memory embedded.
 */
export class Limiter {
  private readonly limiter: RateLimiterAbstract;
  private readonly reason: string;
  private readonly points: number;

  constructor({ name, reason, points, windowSeconds }: LimitOptions, redis: Redis | undefined) {
    const options = { keyPrefix: `limit:${name}`, points, duration: windowSeconds };
    this.reason = reason;
    this.points = points;
    this.limiter = redis
      ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) })
      : new RateLimiterMemory(options);
  }

  /**
   * consume takes `points` for key and returns how many the key has taken in its window, this call
   * included; it throws LimitExceeded when that goes past the limit.
   */
  async consume(key: string, points = 1): Promise<number> {
    try {
      return (await this.limiter.consume(key, points)).consumedPoints;
    } catch (error) {
      // Refused calls are counted too, so only one of any number of concurrent ones sees the count cross the limit.
      if (error instanceof RateLimiterRes) throw new LimitExceeded(this.reason, error.msBeforeNext, error.consumedPoints - points <= this.points);
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
