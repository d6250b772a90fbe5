import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { ComplianceService, PepStatus, RiskRating, SanctionsCheckStatus } from "../../gen/platform/user/v1/compliance_service_pb.js";
import { deliverableEmail, JOB_SETUP_TIMEOUT_MS, JOB_SETUPS, SCREENING_ENV } from "../support/compliance.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { eventually } from "../support/eventually.js";
import { profileClient, registerUser, registerWithRole, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const withServices = await servicesAvailable();


describe.each(JOB_SETUPS)("ScreenUser, %s", (_, setup) => {
  let t: TestApp;
  let officer: RegisteredUser;

  beforeAll(async () => {
    t = await startTestApp({ ...setup, env: SCREENING_ENV });
    officer = await registerWithRole(t, "compliance_officer");
  }, JOB_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  const compliance = (token = officer.accessToken) => createClient(ComplianceService, t.transport({ token }));
  const screenedAfter = (userId: string, at: Date) =>
    eventually(
      () => compliance().getComplianceProfile({ userId }),
      (profile) => profile.sanctionsCheckStatus !== SanctionsCheckStatus.PENDING && profile.lastScreenedAt !== undefined && timestampDate(profile.lastScreenedAt) > at,
      10_000,
      "the screening to finish",
    );

  it("screens the user's current name again: a name changed to a listed one becomes a potential match, high risk, in review", async () => {
    const user = await registerUser(t, { email: deliverableEmail("screened"), fullName: "Margaret Okonkwo-Hale" });
    const first = await screenedAfter(user.userId, new Date(0));
    expect(first).toMatchObject({ sanctionsCheckStatus: SanctionsCheckStatus.CLEAR, riskRating: RiskRating.LOW });

    await profileClient(t, user.accessToken).updateProfile({ fullName: "Luis Alberto Mendoza Guerrero" });
    const asked = await compliance().screenUser({ userId: user.userId });
    expect(asked).toMatchObject({ screeningId: expect.stringMatching(/^[0-9a-f-]{36}$/), sanctionsCheckStatus: SanctionsCheckStatus.PENDING, pepStatus: PepStatus.PENDING });

    const again = await screenedAfter(user.userId, timestampDate(first.lastScreenedAt!));
    expect(again).toMatchObject({ sanctionsCheckStatus: SanctionsCheckStatus.POTENTIAL_MATCH, pepStatus: PepStatus.NOT_PEP, riskRating: RiskRating.HIGH, eddRequired: true, riskFactors: expect.arrayContaining(["sanctions_potential_match"]) });
    const audit = await t.db.selectFrom("audit_trail").select(["action", "actor_user_id", "new_values"]).where("resource_id", "=", user.userId).where("action", "like", "compliance.screening%").orderBy("created_at").execute();
    expect(audit).toEqual([
      { action: "compliance.screening_requested", actor_user_id: officer.userId, new_values: { sanctionsCheckStatus: "pending", pepStatus: "pending", screeningId: asked.screeningId } },
      { action: "compliance.screening", actor_user_id: null, new_values: { sanctionsCheckStatus: "potential_match", pepStatus: "not_pep", screeningHits: 1, screeningId: asked.screeningId } },
    ]);
    // The job run again after it finished finds nothing awaited.
    await expect(t.app.context.screenings.run(user.userId, asked.screeningId)).resolves.toBe("not_awaited");
    // The match is counted once, for the alerts (the app runs the jobs itself).
    expect(await t.app.context.metrics.getSingleMetricAsString("compliance_violations_total")).toMatch(/^compliance_violations_total\{kind="sanctions_match"\} 1$/m);
  });

  it("answers NOT_FOUND for a user nobody has, and refuses callers who are not compliance officers", async () => {
    await expect(compliance().screenUser({ userId: "7d1c1d0e-5b7e-4f43-9d49-3a1f1e0b8c11" })).rejects.toMatchObject({ code: Code.NotFound });
    const user = await registerUser(t, { email: deliverableEmail("screened") });
    await expect(compliance(user.accessToken).screenUser({ userId: user.userId })).rejects.toMatchObject({ code: Code.PermissionDenied });
  });
});

(withServices ? describe : describe.skip)("ScreenUser while a screening waits for a worker", () => {
  let t: TestApp;
  let officer: RegisteredUser;

  beforeAll(async () => {
    t = await startTestApp({ env: SCREENING_ENV }); // relays only: the screening waits in Redis
    officer = await registerWithRole(t, "compliance_officer");
  });
  afterAll(async () => {
    await t?.close();
  });

  it("reuses the screening already queued rather than queue a second one", async () => {
    const user = await registerUser(t, { email: deliverableEmail("screened") });
    const compliance = createClient(ComplianceService, t.transport({ token: officer.accessToken }));
    const answers = await Promise.all([1, 2, 3].map(() => compliance.screenUser({ userId: user.userId })));
    expect(new Set(answers.map((answer) => answer.screeningId)).size).toBe(1);
    const jobs = await t.db.selectFrom("outbox").select("id").where("queue", "=", "compliance-screening").where("payload", "@>", JSON.stringify({ userId: user.userId }) as never).execute();
    expect(jobs).toEqual([{ id: answers[0]!.screeningId }]);
    await expect(compliance.getComplianceProfile({ userId: user.userId })).resolves.toMatchObject({ sanctionsCheckStatus: SanctionsCheckStatus.PENDING, pepStatus: PepStatus.PENDING });
  });
});
