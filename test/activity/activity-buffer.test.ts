import { afterEach, describe, expect, it } from "@jest/globals";
import { ConfigError, loadConfig } from "../../src/config.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { profileClient, registerUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("activity recording's buffer", () => {
  let t: TestApp;
  afterEach(() => t?.close());

  const storedOf = async (userId: string) => (await t.db.selectFrom("user_activities").select("id").where("user_id", "=", userId).execute()).length;

  it("holds at most ACTIVITY_BUFFER_SIZE records, and counts the calls past it as dropped", async () => {
    t = await startTestApp({ env: { ACTIVITY_BUFFER_SIZE: "100", ACTIVITY_FLUSH_INTERVAL_MS: "60000" } });
    const user = await registerUser(t);

    await Promise.all(Array.from({ length: 149 }, () => profileClient(t, user.accessToken).getProfile({})));

    const metrics = t.app.context.metrics;
    expect(await metrics.getSingleMetricAsString("activity_buffer_records")).toMatch(/activity_buffer_records 100$/m);
    expect(await metrics.getSingleMetricAsString("activity_records_dropped_total")).toMatch(/activity_records_dropped_total\{reason="buffer_full"\} 50$/m);
    await t.app.context.activityRecorder.flush();
    expect(await storedOf(user.userId)).toBe(100);
  });

  it("writes what it holds when the service shuts down", async () => {
    t = await startTestApp({ env: { ACTIVITY_FLUSH_INTERVAL_MS: "60000" } });
    const user = await registerUser(t);
    await profileClient(t, user.accessToken).getProfile({});

    await t.app.close();

    expect(await storedOf(user.userId)).toBe(2);
  });

  it("counts a batch the database refuses as dropped, and goes on recording", async () => {
    t = await startTestApp({ env: { ACTIVITY_FLUSH_INTERVAL_MS: "60000" } });
    const user = await registerUser(t);
    // A month no partition holds: the batch it is in (with the sign-up's record) fails.
    const recorder = t.app.context.activityRecorder;
    recorder.record({ userId: user.userId, sessionId: undefined, organizationId: undefined, activityType: 3, method: "ProfileService/GetProfile", statusCode: "OK", latencyMs: 1, ipAddress: undefined, userAgent: undefined, requestId: undefined, receivedAt: new Date(Date.UTC(1999, 0, 1)) });
    await recorder.flush();
    await profileClient(t, user.accessToken).getProfile({});
    await recorder.flush();

    expect(await t.app.context.metrics.getSingleMetricAsString("activity_records_dropped_total")).toMatch(/\{reason="write_failed"\} 2$/m);
    expect(await storedOf(user.userId)).toBe(1);
  });

  it("records nothing with ACTIVITY_RECORDING=off, and refuses a value that is neither on nor off", async () => {
    expect(() => loadConfig({ ACTIVITY_RECORDING: "no" })).toThrow(ConfigError);
    t = await startTestApp({ env: { ACTIVITY_RECORDING: "off" } });
    const user = await registerUser(t);
    await profileClient(t, user.accessToken).getProfile({});

    await t.app.context.activityRecorder.flush();

    expect(await storedOf(user.userId)).toBe(0);
  });
});
