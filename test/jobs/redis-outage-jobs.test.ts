import path from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "@jest/globals";
import { describe } from "@jest/globals";
import { startTestApp, type TestApp } from "../support/app.js";
import { eventually } from "../support/eventually.js";
import { registerUser, type RegisteredUser } from "../support/factories.js";
import { startPrivateRedis, type PrivateRedis } from "../support/redis-server.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;
const FIXTURES = fileURLToPath(new URL("../fixtures/sanctions/", import.meta.url));

describeWithServices("jobs through a Redis outage", () => {
  let redis: PrivateRedis;
  let t: TestApp;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    t = await startTestApp({
      redisUrl: redis.url,
      runWorkers: true,
      // A job a worker took as Redis went down stays active there until its lock lapses: kept short here.
      env: { SANCTIONS_LIST_FILE: path.join(FIXTURES, "sdn.csv"), REGISTRATIONS_PER_IP_PER_HOUR: "10000", JOB_POLL_INTERVAL_MS: "200", JOB_LOCK_DURATION_MS: "2000" },
    });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.close();
  });

  const register = (count: number) =>
    Promise.all(Array.from({ length: count }, () => registerUser(t, { email: `outage.${randomBytes(5).toString("hex")}@northbridge-capital.co.uk`, fullName: "Margaret Okonkwo-Hale" })));

  it("runs every registration's verification exactly once in effect when Redis stops while users register and comes back", async () => {
    const users: RegisteredUser[] = [];
    users.push(...(await register(10)));
    const stopping = redis.stop();
    users.push(...(await register(10))); // while Redis stops
    await stopping;
    users.push(...(await register(10))); // while it is down
    const waiting = await t.db.selectFrom("outbox").select("id").where("dispatched_at", "is", null).execute();
    expect(waiting.length).toBeGreaterThan(0); // the outage held jobs back in the outbox
    await redis.start();
    users.push(...(await register(5)));

    const ids = users.map((user) => user.userId);
    await eventually(
      () => t.db.selectFrom("users").select("id").where("id", "in", ids).where("verification_status", "=", "verified").execute(),
      (verified) => verified.length === ids.length,
      30_000,
      "every user to be verified",
    );
    const decisions = await t.db.selectFrom("audit_trail").select("resource_id").where("action", "=", "user.identity_verification").where("resource_id", "in", ids).execute();
    expect(decisions.map((row) => row.resource_id).sort()).toEqual([...ids].sort());
    // The verifications queued jobs of their own (risk scoring): the relay moves those on too.
    await eventually(() => t.db.selectFrom("outbox").select("id").where("dispatched_at", "is", null).execute(), (left) => left.length === 0, 10_000, "the outbox to empty");
    expect(await t.db.selectFrom("dead_letters").select("id").execute()).toEqual([]);
  }, 90_000);
});
