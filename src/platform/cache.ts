import type { Redis } from "ioredis";
import type { Logger } from "./logger.js";

/**
 * Cache is a string key-value store with expiry: Redis in production, process memory embedded.
 * Every value carries a version (e.g. the row's updated_at): a write never replaces a newer value,
 * so a slow reader cannot put back data that a concurrent change has already superseded.
 */
export interface Cache {
  get(key: string): Promise<string | undefined>;
  /** put stores value unless a newer version is cached. Best effort: never throws. */
  put(key: string, value: string, version: number, ttlSeconds: number): Promise<void>;
  /** delete drops the entry; it throws when it cannot, since the entry would be served stale. */
  delete(key: string): Promise<void>;
  /**
   * getCurrent reads, in one round trip, the generation of a family of entries (0 until bumped) and
   * the entry under key if it was put with that generation as its version. An entry put by a reader
   * that saw an older generation is never served, however the put and a bump interleave.
   */
  getCurrent(generationKey: string, key: string): Promise<{ generation: number; value: string | undefined }>;
  /** bump starts a new generation: every entry put under an older one stops being served. It throws when it cannot. */
  bump(generationKey: string): Promise<void>;
}

/** GENERATION_TTL_SECONDS keeps a generation longer than any entry lives, so a forgotten generation can only make entries miss. */
const GENERATION_TTL_SECONDS = 3600;

/** MemoryCache keeps entries in a Map, bounded by `maxEntries` (oldest evicted first). */
export class MemoryCache implements Cache {
  private readonly entries = new Map<string, { value: string; version: number; expiresAt: number }>();

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

  async put(key: string, value: string, version: number, ttlSeconds: number): Promise<void> {
    const current = this.entries.get(key);
    if (current && current.expiresAt > this.now() && current.version > version) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, version, expiresAt: this.now() + ttlSeconds * 1000 });
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  private readonly generations = new Map<string, number>();

  async getCurrent(generationKey: string, key: string): Promise<{ generation: number; value: string | undefined }> {
    const generation = this.generations.get(generationKey) ?? 0;
    const entry = this.entries.get(key);
    const current = entry !== undefined && entry.version === generation && entry.expiresAt > this.now();
    return { generation, value: current ? entry.value : undefined };
  }

  async bump(generationKey: string): Promise<void> {
    const next = (this.generations.get(generationKey) ?? 0) + 1;
    this.generations.delete(generationKey); // re-inserted last: the oldest generations are evicted first
    if (this.generations.size >= this.maxEntries) this.generations.delete(this.generations.keys().next().value!);
    this.generations.set(generationKey, next);
  }
}

// Stored as "<version>\n<value>"; replaced only by a version at least as new, atomically.
const PUT_IF_NOT_OLDER = `
local current = redis.call('GET', KEYS[1])
if current then
  local newline = string.find(current, '\\n', 1, true)
  local version = newline and tonumber(string.sub(current, 1, newline - 1))
  if version and version > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '\\n' .. ARGV[2], 'EX', ARGV[3])
return 1`;

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
      const stored = await this.redis.get(key);
      return stored === null ? undefined : stored.slice(stored.indexOf("\n") + 1);
    } catch (error) {
      this.log.warn({ err: error }, "cache read failed; reading through");
      return undefined;
    }
  }

  async put(key: string, value: string, version: number, ttlSeconds: number): Promise<void> {
    try {
      await this.redis.eval(PUT_IF_NOT_OLDER, 1, key, version, value, ttlSeconds);
    } catch (error) {
      this.log.warn({ err: error }, "cache write failed");
    }
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(key);
  }

  async getCurrent(generationKey: string, key: string): Promise<{ generation: number; value: string | undefined }> {
    try {
      const [generationText, stored] = await this.redis.mget(generationKey, key);
      const generation = Number(generationText ?? 0);
      const newline = stored?.indexOf("\n") ?? -1;
      const current = stored != null && newline > 0 && Number(stored.slice(0, newline)) === generation;
      return { generation, value: current ? stored.slice(newline + 1) : undefined };
    } catch (error) {
      this.log.warn({ err: error }, "cache read failed; reading through");
      // A generation no put can match: the reader goes to the database and its put is skipped.
      return { generation: -1, value: undefined };
    }
  }

  async bump(generationKey: string): Promise<void> {
    const results = await this.redis.multi().incr(generationKey).expire(generationKey, GENERATION_TTL_SECONDS).exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error("the generation bump was discarded");
  }
}
