import { setTimeout as sleep } from "node:timers/promises";
import { Code } from "@connectrpc/connect";
import type { TestApp } from "./app.js";
import { profileClient } from "./factories.js";

/** refusedWithin polls GetProfile on app t with accessToken until it is refused as unauthenticated, for at most limitMs; it says whether it was. */
export async function refusedWithin(t: TestApp, accessToken: string, limitMs = 1_000): Promise<boolean> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    const refused = await profileClient(t, accessToken)
      .getProfile({})
      .then(() => false)
      .catch((error: unknown) => (error as { code?: Code }).code === Code.Unauthenticated);
    if (refused) return true;
    if (performance.now() >= deadline) return false;
    await sleep(20);
  }
}
