import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient } from "@connectrpc/connect";
import { AuditService } from "../../gen/platform/user/v1/audit_service_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, registerUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("the metrics the alerts watch", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  const metric = (name: string) => t.app.context.metrics.getSingleMetricAsString(name);

  it("counts a call refused a permission as a privilege escalation attempt, by method and permission", async () => {
    const user = await registerUser(t);

    await expect(createClient(AuditService, t.transport({ token: user.accessToken })).listAuditTrail({})).rejects.toMatchObject({ code: Code.PermissionDenied });

    expect(await metric("privilege_escalation_attempts_total")).toMatch(/^privilege_escalation_attempts_total\{method="AuditService\/ListAuditTrail",permission="audit.read"\} 1$/m);
  });

  it("counts a spent refresh token presented again as a session anomaly", async () => {
    const user = await registerUser(t);
    await authClient(t).refreshToken({ refreshToken: user.refreshToken });

    await expect(authClient(t).refreshToken({ refreshToken: user.refreshToken })).rejects.toMatchObject({ code: Code.Unauthenticated });

    expect(await metric("session_anomalies_total")).toMatch(/^session_anomalies_total\{kind="refresh_token_reuse"\} 1$/m);
  });

  it("publishes the compliance reviews falling due and the oldest one open", async () => {
    const [soon, open] = await Promise.all([registerUser(t), registerUser(t)]);
    const now = Date.now();
    await t.db
      .insertInto("compliance_profiles")
      .values([
        { user_id: soon.userId, next_review_at: new Date(now + 3 * 86_400_000), created_at: new Date(now), updated_at: new Date(now) },
        { user_id: open.userId, review_requested_at: new Date(now - 86_400_000), review_reason: "periodic_review", created_at: new Date(now), updated_at: new Date(now) },
      ])
      .onConflict((oc) => oc.column("user_id").doUpdateSet((eb) => ({ next_review_at: eb.ref("excluded.next_review_at"), review_requested_at: eb.ref("excluded.review_requested_at"), review_reason: eb.ref("excluded.review_reason") })))
      .execute();

    expect(await metric("compliance_reviews_due_soon")).toMatch(/^compliance_reviews_due_soon 1$/m);
    const oldest = Number(/^compliance_review_oldest_open_seconds (\S+)$/m.exec(await metric("compliance_review_oldest_open_seconds"))![1]);
    expect(oldest).toBeGreaterThanOrEqual(86_400);
    expect(oldest).toBeLessThan(86_400 + 60);
  });
});
