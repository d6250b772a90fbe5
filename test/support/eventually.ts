import { setTimeout as sleep } from "node:timers/promises";

/**
 * eventually reads value until accept says it has arrived, and returns it; after timeoutMs it
 * throws with the last value read, so a test that waits for something that never comes says what
 * it saw instead.
 */
export async function eventually<T>(value: () => Promise<T>, accept: (seen: T) => boolean, timeoutMs = 10_000, whatFor = "the expected value"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await value();
    if (accept(seen)) return seen;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${whatFor}; last saw ${JSON.stringify(seen)}`);
    await sleep(25);
  }
}
