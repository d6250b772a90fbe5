import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, ConnectError } from "@connectrpc/connect";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, profileClient, registerUser, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable, REDIS_URL } from "../support/services.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const COMMAND_TIMEOUT_MS = 300;
// A call may meet a few Redis commands in a row (limits, cache read and write), each cut off after
// the command timeout; an answer later than this means a call waited on Redis itself.
const ANSWER_BOUND_MS = 2_500;

interface Outcome {
  rpc: string;
  code: Code | "ok";
  ms: number;
}

async function timed(rpc: string, call: () => Promise<unknown>): Promise<Outcome> {
  const started = performance.now();
  const code = await call().then(
    () => "ok" as const,
    (error: unknown) => (error instanceof ConnectError ? error.code : Code.Unknown),
  );
  return { rpc, code, ms: performance.now() - started };
}

/** lightLoad signs in and reads profiles from a few callers until `until` resolves. */
async function lightLoad(t: TestApp, users: RegisteredUser[], until: Promise<void>): Promise<Outcome[]> {
  let done = false;
  void until.then(() => (done = true));
  const outcomes: Outcome[] = [];
  await Promise.all(
    users.map(async (user) => {
      while (!done) {
        outcomes.push(await timed("Login", () => authClient(t).login({ email: user.email, password: user.password })));
        outcomes.push(await timed("GetProfile", () => profileClient(t, user.accessToken).getProfile({})));
      }
    }),
  );
  return outcomes;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function readyStatus(t: TestApp): Promise<number> {
  return (await fetch(`${t.baseUrl}/readyz`)).status;
}

async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}

describeWithServices("when Redis fails after start-up", () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let users: RegisteredUser[];
  beforeAll(async () => {
    proxy = await startTcpProxy(REDIS_URL);
    t = await startTestApp({ redisUrl: proxy.url, env: { REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS), REGISTRATIONS_PER_IP_PER_HOUR: "1000" } });
    users = await Promise.all(Array.from({ length: 3 }, () => registerUser(t)));
  });
  afterEach(() => proxy.restore());
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
  });

  describe("stalled (connections open, no answers)", () => {
    it("answers every call within a bound, with a result or UNAVAILABLE, and recovers when Redis answers again", async () => {
      const load = lightLoad(t, users, sleep(4_000));
      await sleep(500);
      proxy.stall();
      await sleep(2_500);
      proxy.restore();
      const outcomes = await load;

      expect(outcomes.length).toBeGreaterThan(6);
      for (const outcome of outcomes) {
        expect(outcome.ms).toBeLessThan(ANSWER_BOUND_MS);
        expect([`ok`, Code.Unavailable]).toContain(outcome.code);
      }
      // Sign-in and profile reads do not need Redis to answer: limits fall back to process memory,
      // profiles are read through to Postgres.
      expect(outcomes.filter((o) => o.code === "ok").length).toBe(outcomes.length);
      expect(await eventually(async () => (await readyStatus(t)) === 200, 5_000)).toBe(true);
    });

    it("reports not ready while Redis does not answer", async () => {
      proxy.stall();
      const started = performance.now();
      expect(await readyStatus(t)).toBe(503);
      expect(performance.now() - started).toBeLessThan(ANSWER_BOUND_MS);
    });

    it("answers a change that must reach Redis with UNAVAILABLE, within the bound", async () => {
      const [user] = users;
      proxy.stall();
      const outcome = await timed("UpdateProfile", () => profileClient(t, user!.accessToken).updateProfile({ fullName: "Stalled Writer" }));
      expect(outcome.code).toBe(Code.Unavailable);
      expect(outcome.ms).toBeLessThan(ANSWER_BOUND_MS);
    });

    it("stops trusting cached session standings: a revocation made elsewhere is refused within a second", async () => {
      const user = await registerUser(t);
      const elsewhere = await startTestApp({ replicaOf: t });
      try {
        // This replica has the session's standing cached, then its revocation feed goes silent.
        await expect(profileClient(t, user.accessToken).getProfile({})).resolves.toMatchObject({ userId: user.userId });
        proxy.stall();
        await sleep(1_500);
        await authClient(elsewhere, user.accessToken).logout({});
        await sleep(1_000);
        await expect(profileClient(t, user.accessToken).getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
      } finally {
        await elsewhere.close();
      }
    });
  });

  describe("killed (connections reset, new ones refused)", () => {
    it("answers at once, keeps signing in, and recovers by itself", async () => {
      const [user] = users;
      proxy.cut();
      const login = await timed("Login", () => authClient(t).login({ email: user!.email, password: user!.password }));
      expect(login).toMatchObject({ code: "ok" });
      expect(login.ms).toBeLessThan(ANSWER_BOUND_MS);
      const update = await timed("UpdateProfile", () => profileClient(t, user!.accessToken).updateProfile({ fullName: "Cut Off Writer" }));
      expect(update.code).toBe(Code.Unavailable);
      expect(update.ms).toBeLessThan(ANSWER_BOUND_MS);
      expect(await readyStatus(t)).toBe(503);

      proxy.restore();
      expect(await eventually(async () => (await readyStatus(t)) === 200, 6_000)).toBe(true);
      await expect(profileClient(t, user!.accessToken).updateProfile({ fullName: "Back Online" })).resolves.toMatchObject({ fullName: "Back Online" });
    });

    it("keeps the limits: sign-ups past the per-address limit are still refused", async () => {
      const limited = await startTestApp({ redisUrl: proxy.url, env: { REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS), REGISTRATIONS_PER_IP_PER_HOUR: "2" } });
      try {
        proxy.cut();
        await registerUser(limited);
        await registerUser(limited);
        await expect(registerUser(limited)).rejects.toMatchObject({ code: Code.ResourceExhausted });
      } finally {
        proxy.restore();
        await limited.close();
      }
    });
  });
});
