import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createClient } from "@connectrpc/connect";
import { ActivityService } from "../../gen/platform/user/v1/activity_service_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { ManualClock } from "../support/clock.js";
import { authClient, profileClient, registerUser, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const HOUR = 3_600_000;

describeWithServices("daily activity rollup", () => {
  let t: TestApp;
  // Mid-afternoon, so an hour either way stays on the same day.
  const yesterday = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() - 1, 15));
  const clock = new ManualClock(yesterday);
  let user: RegisteredUser;
  beforeAll(async () => {
    t = await startTestApp({ clock, env: { ACTIVITY_FLUSH_INTERVAL_MS: "60000" } });
    user = await registerUser(t);
    await profileClient(t, user.accessToken).getProfile({});
    clock.advance(HOUR);
    await authClient(t, user.accessToken).logout({});
    await t.app.context.activityRecorder.flush();
  });
  afterAll(() => t?.close());

  it("stores yesterday's figures, and today's so far, for every user with any", async () => {
    clock.advance(24 * HOUR);
    const today = await registerUser(t);
    await t.app.context.activityRecorder.flush();

    expect(await t.app.context.activity.rollUp()).toBeGreaterThanOrEqual(2);

    const rows = await t.db.selectFrom("user_metrics").selectAll().where("user_id", "in", [user.userId, today.userId]).orderBy("day").execute();
    expect(rows.map((row) => [row.user_id, row.day])).toEqual([
      [user.userId, yesterday.toISOString().slice(0, 10)],
      [today.userId, clock.now().toISOString().slice(0, 10)],
    ]);
    expect(rows[0]).toMatchObject({ rpc_count: 3, session_count: 1, session_seconds: String(HOUR / 1000), rpc_counts_by_feature: { AuthService: 2, ProfileService: 1 } });
  });

  it("replaces what an earlier run stored for the same day", async () => {
    await t.app.context.activity.rollUp();
    await t.app.context.activity.rollUp();

    const rows = await t.db.selectFrom("user_metrics").select("day").where("user_id", "=", user.userId).execute();
    expect(rows).toHaveLength(1);
  });

  it("answers GetUserMetrics from the rollup for past days and counts today at the time of the request", async () => {
    const signedIn = await authClient(t).login({ email: user.email, password: user.password });
    if (signedIn.result.case !== "tokens") throw new Error("expected tokens");
    const token = signedIn.result.value.accessToken;
    await profileClient(t, token).getProfile({});
    await t.app.context.activityRecorder.flush();

    const metrics = await createClient(ActivityService, t.transport({ token })).getUserMetrics({ days: 2 });

    expect(metrics.daily.map((day) => [day.day, day.rpcCount, day.loginCount])).toEqual([
      [yesterday.toISOString().slice(0, 10), 3, 0],
      [clock.now().toISOString().slice(0, 10), 2, 1],
    ]);
    expect(metrics).toMatchObject({ activeDays: 2, sessionCount: 2, loginCount: 1 });
    expect(metrics.windowStart!.seconds).toBe(BigInt(Date.UTC(yesterday.getUTCFullYear(), yesterday.getUTCMonth(), yesterday.getUTCDate()) / 1000));

    const todayOnly = await createClient(ActivityService, t.transport({ token })).getUserMetrics({ days: 1 });
    expect(todayOnly.daily.map((day) => day.day)).toEqual([clock.now().toISOString().slice(0, 10)]);
  });

  it("keeps the daily figures for ACTIVITY_RETENTION_DAYS, and the partitions of the coming months made", async () => {
    const old = { user_id: user.userId, day: "2001-01-01", login_count: 1, failed_login_count: 0, session_count: 1, session_seconds: 1, rpc_count: 1, rpc_counts_by_feature: "{}", error_count: 0, latency_p50_ms: 1, latency_p95_ms: 1, security_event_count: 0, ip_addresses: "[]", updated_at: new Date() };
    await t.db.insertInto("user_metrics").values(old).execute();

    await t.app.context.activity.maintainPartitions();

    expect(await t.db.selectFrom("user_metrics").select("day").where("day", "=", "2001-01-01").execute()).toEqual([]);
    expect(await t.db.selectFrom("user_metrics").select("day").where("user_id", "=", user.userId).where("day", "=", yesterday.toISOString().slice(0, 10)).execute()).toHaveLength(1);
  });
});
