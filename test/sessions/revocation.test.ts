import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, ConnectError } from "@connectrpc/connect";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, profileClient, registerUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

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
