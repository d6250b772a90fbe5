import type { Redis } from "ioredis";
import type { Logger } from "./logger.js";

/** Cache is a string key-value store with expiry: Redis in production, process memory embedded. */
export interface Cache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/** MemoryCache keeps entries in a Map, bounded by `maxEntries` (oldest evicted first). */
export class MemoryCache implements Cache {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }
}

/**
 * RedisCache stores entries in Redis under the client's key prefix. While Redis is unreachable,
 * reads miss and writes are skipped, so callers fall back to the database; a failed delete is
 * thrown, because the entry it meant to drop would otherwise be served stale.
 */
export class RedisCache implements Cache {
  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
  ) {}

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.redis.get(key)) ?? undefined;
    } catch (error) {
      this.log.warn({ err: error }, "cache read failed; reading through");
      return undefined;
    }
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    try {
      await this.redis.set(key, value, "EX", ttlSeconds);
    } catch (error) {
      this.log.warn({ err: error }, "cache write failed");
    }
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(key);
  }
}
