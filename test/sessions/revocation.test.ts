import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, ConnectError } from "@connectrpc/connect";
import { Redis } from "ioredis";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, profileClient, registerUser } from "../support/factories.js";
import { REDIS_URL, servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

// The contract: a revoked session's access tokens are refused by every replica within 1 second.
const PROPAGATION_LIMIT_MS = 1_000;
const POLL_INTERVAL_MS = 50;

/** isRefused says whether GetProfile on app t refuses accessToken as unauthenticated. */
async function isRefused(t: TestApp, accessToken: string): Promise<boolean> {
  try {
    await profileClient(t, accessToken).getProfile({});
    return false;
  } catch (error) {
    if (ConnectError.from(error).code !== Code.Unauthenticated) throw error;
    return true;
  }
}

/**
 * msUntilRefused polls app t with accessToken every 50 ms and returns how long it took to be
 * refused, or undefined when it was still accepted after the contract's limit.
 */
async function msUntilRefused(t: TestApp, accessToken: string): Promise<number | undefined> {
  const started = performance.now();
  for (;;) {
    if (await isRefused(t, accessToken)) return performance.now() - started;
    if (performance.now() - started > PROPAGATION_LIMIT_MS) return undefined;
    await sleep(POLL_INTERVAL_MS);
  }
}

describeWithServices("AuthService across replicas", () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ replicaOf: a });
  });
  afterAll(async () => {
    // The first replica owns the database: close the second before it is dropped.
    await b?.close();
    await a?.close();
  });

  /** Makes replica b hold the session as good in its cache, so only the bus can change its mind. */
  async function warmReplicaB(accessToken: string): Promise<void> {
    const profile = await profileClient(b, accessToken).getProfile({});
    expect(profile.userId).not.toBe("");
  }

  async function expectRefusedOnBInTime(accessToken: string): Promise<void> {
    expect((await msUntilRefused(b, accessToken)) ?? Infinity).toBeLessThanOrEqual(PROPAGATION_LIMIT_MS);
  }

  describe("Logout", () => {
    it("makes another replica refuse the session's access token within 1 second", async () => {
      const user = await registerUser(a);
      await warmReplicaB(user.accessToken);

      await authClient(a, user.accessToken).logout({});

      await expectRefusedOnBInTime(user.accessToken);
    });
  });

  describe("Logout while the revocation bus is down", () => {
    /** dropSubscriptions cuts the replicas' pub/sub connections, as a Redis failover would. */
    async function dropSubscriptions(): Promise<void> {
      const redis = new Redis(REDIS_URL);
      try {
        const clients = (await redis.call("CLIENT", "LIST")) as string;
        const ours = clients.split("\n").filter((line) => line.includes(` name=${a.namespace}session-revoked-subscriber `));
        expect(ours.length).toBeGreaterThan(0);
        for (const line of ours) await redis.call("CLIENT", "KILL", "ID", /\bid=(\d+)/.exec(line)![1]!);
      } finally {
        redis.disconnect();
      }
    }

    it("still makes another replica refuse the session within 1 second, during the drop and after it", async () => {
      const user = await registerUser(a);
      await warmReplicaB(user.accessToken);
      await dropSubscriptions();
      await authClient(a, user.accessToken).logout({});
      await expectRefusedOnBInTime(user.accessToken);

      // After the replicas have re-subscribed, a revocation still reaches them in time.
      await sleep(1_000);
      const later = await registerUser(a);
      await warmReplicaB(later.accessToken);
      await authClient(a, later.accessToken).logout({});
      await expectRefusedOnBInTime(later.accessToken);
    });
  });

  describe("RefreshToken", () => {
    it("makes another replica refuse the session's access token within 1 second of a reuse", async () => {
      const user = await registerUser(a);
      const rotated = await authClient(a).refreshToken({ refreshToken: user.refreshToken });
      const accessToken = rotated.tokens?.accessToken ?? "";
      await warmReplicaB(accessToken);

      await expect(authClient(a).refreshToken({ refreshToken: user.refreshToken })).rejects.toMatchObject({ code: Code.Unauthenticated });

      await expectRefusedOnBInTime(accessToken);
    });
  });
});

describe("AuthService in embedded mode", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ embedded: true });
  });
  afterAll(() => t?.close());

  describe("Logout", () => {
    it("refuses the session's access token immediately on the same process", async () => {
      const user = await registerUser(t);
      expect(await isRefused(t, user.accessToken)).toBe(false);

      await authClient(t, user.accessToken).logout({});

      expect(await isRefused(t, user.accessToken)).toBe(true);
    });
  });
});
