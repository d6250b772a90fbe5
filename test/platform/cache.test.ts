import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Redis } from "ioredis";
import { MemoryCache, RedisCache, type Cache } from "../../src/platform/cache.js";
import { createLogger } from "../../src/platform/logger.js";
import { REDIS_URL, servicesAvailable } from "../support/services.js";

const withServices = await servicesAvailable();
const namespace = `test:${randomBytes(6).toString("hex")}:`;
let redis: Redis | undefined;

beforeAll(() => {
  if (withServices) redis = new Redis(REDIS_URL, { keyPrefix: namespace });
});
afterAll(async () => {
  if (!redis) return;
  // The generations have no expiry: remove them with the rest of the suite's keys.
  const plain = redis.duplicate({ keyPrefix: "" });
  const keys = await plain.keys(`${namespace}*`);
  if (keys.length > 0) await plain.del(...keys);
  await plain.quit();
  await redis.quit();
});

const caches: Array<[string, () => Cache]> = [["MemoryCache", () => new MemoryCache()]];
if (withServices) caches.push(["RedisCache", () => new RedisCache(redis!, createLogger("silent"))]);

describe.each(caches)("%s", (_, makeCache) => {
  it("never lets an older version replace a newer one", async () => {
    const cache = makeCache();
    await cache.put("profile", "new", 2, 60);
    await cache.put("profile", "old", 1, 60); // a slow reader's copy from before the change
    expect(await cache.get("profile")).toBe("new");
  });

  it("replaces a value with an equal or newer version", async () => {
    const cache = makeCache();
    await cache.put("settings", "first", 1, 60);
    await cache.put("settings", "second", 1, 60);
    expect(await cache.get("settings")).toBe("second");
    await cache.put("settings", "third", 5, 60);
    expect(await cache.get("settings")).toBe("third");
  });

  it("keeps values that contain line breaks intact", async () => {
    const cache = makeCache();
    await cache.put("multi", "a\nb\nc", 1, 60);
    expect(await cache.get("multi")).toBe("a\nb\nc");
  });

  it("serves an entry only under the generation it was put with", async () => {
    const cache = makeCache();
    const first = await cache.getCurrent("gen:a", "list:a");
    expect(first).toEqual({ generation: 0, value: undefined });
    await cache.put("list:a", "rows", first.generation, 60);
    expect(await cache.getCurrent("gen:a", "list:a")).toEqual({ generation: 0, value: "rows" });
    await cache.bump("gen:a");
    expect(await cache.getCurrent("gen:a", "list:a")).toEqual({ generation: 1, value: undefined });
  });

  it("never serves what a reader from before a bump puts after it", async () => {
    const cache = makeCache();
    const { generation: seen } = await cache.getCurrent("gen:b", "list:b"); // read rows from the database...
    await cache.bump("gen:b"); // ...while a change commits...
    await cache.put("list:b", "stale rows", seen, 60); // ...then cache what was read
    expect((await cache.getCurrent("gen:b", "list:b")).value).toBeUndefined();
    const { generation } = await cache.getCurrent("gen:b", "list:b");
    await cache.put("list:b", "fresh rows", generation, 60);
    expect((await cache.getCurrent("gen:b", "list:b")).value).toBe("fresh rows");
  });

  it("forgets deleted entries", async () => {
    const cache = makeCache();
    await cache.put("gone", "x", 1, 60);
    await cache.delete("gone");
    expect(await cache.get("gone")).toBeUndefined();
  });
});
