import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { JsonObject } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { UserRegistrationRequest_RegistrationType as RegistrationType } from "../../gen/platform/user/v1/auth_service_pb.js";
import { OnboardingStepStatus, UserLifecycleService } from "../../gen/platform/user/v1/user_lifecycle_service_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { ManualClock } from "../support/clock.js";
import { authClient, registerUser, type RegisteredUser } from "../support/factories.js";
import { enrolTotp } from "../support/mfa.js";
import { startIdentityProviders, type LocalIdentityProviders } from "../support/oidc-provider.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const DAY_MS = 24 * 3600 * 1000;

const QUESTIONNAIRE = { investment_experience: "1_to_5_years", annual_income: "50k_to_250k", trading_objectives: ["growth", "hedging"], risk_tolerance: "medium" };
const TERMS = { terms_version: "2026-11", accepted: true };

const onboardingOf = (t: TestApp, user: RegisteredUser) => createClient(UserLifecycleService, t.transport({ token: user.accessToken }));
const stepsOf = (onboarding: { steps: Array<{ stepId: string; status: OnboardingStepStatus }> } | undefined) =>
  Object.fromEntries((onboarding?.steps ?? []).map((step) => [step.stepId, step.status]));
/** signedInAgain is the user with a fresh access token, for after the test clock moved past the old one's expiry. */
async function signedInAgain(t: TestApp, user: RegisteredUser): Promise<RegisteredUser> {
  const login = await authClient(t).login({ email: user.email, password: user.password });
  if (login.result.case !== "tokens") throw new Error("expected tokens");
  return { ...user, accessToken: login.result.value.accessToken };
}
const completionAudits = (t: TestApp, userId: string) =>
  t.db.selectFrom("audit_trail").selectAll().where("action", "=", "onboarding.step_complete").where("resource_id", "=", userId).orderBy("created_at").execute();

describeWithServices("Onboarding with the built-in steps", () => {
  let t: TestApp;
  let idp: LocalIdentityProviders;
  beforeAll(async () => {
    idp = await startIdentityProviders([{ name: "GOOGLE", issuer: "https://accounts.google.test", audience: "client-1", alg: "RS256", kid: "g1" }]);
    t = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "10000", OIDC_PROVIDERS: idp.oidcProvidersEnv } });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it("gives a new user the configured steps in order, pending, with each data step's schema and a deadline 30 days out", async () => {
    const before = Date.now();
    const user = await registerUser(t);
    const { onboarding } = await onboardingOf(t, user).getOnboarding({});
    expect(onboarding?.steps.map((step) => [step.stepId, step.required, step.automatic, step.status])).toEqual([
      ["verify_email", true, true, OnboardingStepStatus.PENDING],
      ["mfa_setup", true, true, OnboardingStepStatus.PENDING],
      ["risk_questionnaire", true, false, OnboardingStepStatus.PENDING],
      ["accept_terms", true, false, OnboardingStepStatus.PENDING],
    ]);
    expect(onboarding?.steps[2]?.dataSchema).toMatchObject({ type: "object", required: expect.arrayContaining(["risk_tolerance"]) });
    expect(onboarding?.steps[0]?.dataSchema).toBeUndefined();
    expect(onboarding).toMatchObject({ completed: false, expired: false });
    const expiresAt = timestampDate(onboarding!.expiresAt!).getTime();
    expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * DAY_MS - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30 * DAY_MS);
  });

  it("records a step's answers and replaces them when completed again, audited with the old and new answers", async () => {
    const user = await registerUser(t);
    const first = await onboardingOf(t, user).completeOnboardingStep({ stepId: "risk_questionnaire", data: QUESTIONNAIRE });
    const step = first.onboarding?.steps.find((s) => s.stepId === "risk_questionnaire");
    expect(step).toMatchObject({ status: OnboardingStepStatus.COMPLETED, data: QUESTIONNAIRE });
    expect(step?.completedAt).toBeDefined();
    const revised = { ...QUESTIONNAIRE, risk_tolerance: "low" };
    await onboardingOf(t, user).completeOnboardingStep({ stepId: "risk_questionnaire", data: revised });
    const { onboarding } = await onboardingOf(t, user).getOnboarding({});
    expect(onboarding?.steps.find((s) => s.stepId === "risk_questionnaire")?.data).toEqual(revised);
    const audits = await completionAudits(t, user.userId);
    expect(audits).toHaveLength(2);
    expect(audits[1]).toMatchObject({
      actor_user_id: user.userId,
      compliance_relevant: true,
      old_values: { stepId: "risk_questionnaire", data: QUESTIONNAIRE },
      new_values: { stepId: "risk_questionnaire", data: revised },
    });
  });

  it.each([
    ["a missing answer", { ...QUESTIONNAIRE, risk_tolerance: undefined }, "data.risk_tolerance: is required"],
    ["a key the step does not have", { ...QUESTIONNAIRE, shoe_size: 44 }, "data.shoe_size: is not a field of this step"],
    ["a value outside the choices", { ...QUESTIONNAIRE, trading_objectives: ["growth", "gambling"] }, "data.trading_objectives[1]: must be one of"],
    ["an empty list", { ...QUESTIONNAIRE, trading_objectives: [] }, "data.trading_objectives"],
  ])("refuses %s with INVALID_ARGUMENT naming the key", async (_, data, message) => {
    const user = await registerUser(t);
    const answer = JSON.parse(JSON.stringify(data)) as JsonObject;
    await expect(onboardingOf(t, user).completeOnboardingStep({ stepId: "risk_questionnaire", data: answer })).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringContaining(message),
    });
    expect(await completionAudits(t, user.userId)).toHaveLength(0);
  });

  it("refuses data over 64 KiB, terms that are not accepted, an unknown step and an automatic one", async () => {
    const user = await registerUser(t);
    const client = onboardingOf(t, user);
    await expect(client.completeOnboardingStep({ stepId: "accept_terms", data: { ...TERMS, terms_version: "x".repeat(70_000) } })).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringContaining("64 KiB"),
    });
    await expect(client.completeOnboardingStep({ stepId: "accept_terms", data: { ...TERMS, accepted: false } })).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringContaining("data.accepted"),
    });
    await expect(client.completeOnboardingStep({ stepId: "open_account", data: {} })).rejects.toMatchObject({ code: Code.NotFound, rawMessage: expect.stringContaining("step_id") });
    await expect(client.completeOnboardingStep({ stepId: "mfa_setup", data: {} })).rejects.toMatchObject({ code: Code.FailedPrecondition });
    await expect(client.completeOnboardingStep({ stepId: "Bad-Id", data: {} })).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it("marks MFA set-up when a method is activated, and completes onboarding with the last required step", async () => {
    const user = await registerUser(t);
    const client = onboardingOf(t, user);
    await client.completeOnboardingStep({ stepId: "risk_questionnaire", data: QUESTIONNAIRE });
    await client.completeOnboardingStep({ stepId: "accept_terms", data: TERMS });
    await enrolTotp(t, user);
    const { onboarding } = await client.getOnboarding({});
    expect(stepsOf(onboarding)).toMatchObject({ mfa_setup: OnboardingStepStatus.COMPLETED, verify_email: OnboardingStepStatus.PENDING });
    expect(onboarding?.completed).toBe(false);
    const mfaAudit = (await completionAudits(t, user.userId)).at(-1);
    expect(mfaAudit?.new_values).toEqual({ stepId: "mfa_setup", event: "mfa_enabled" });
  });

  it("marks the e-mail address verified for a sign-up whose identity provider vouched for it", async () => {
    const google = idp.providers.GOOGLE!;
    const registered = await authClient(t).register({ registrationType: RegistrationType.GOOGLE, idToken: await google.idToken({ sub: `g-${Date.now()}` }), fullName: "Fed User" });
    const user = { userId: registered.userId, accessToken: registered.accessToken } as RegisteredUser;
    const { onboarding } = await onboardingOf(t, user).getOnboarding({});
    expect(stepsOf(onboarding)).toMatchObject({ verify_email: OnboardingStepStatus.COMPLETED, mfa_setup: OnboardingStepStatus.PENDING });
    const emailStep = onboarding?.steps.find((s) => s.stepId === "verify_email");
    expect(emailStep?.completedAt).toBeDefined();
  });

  it("keeps every user's onboarding to themselves", async () => {
    const [alice, bob] = [await registerUser(t), await registerUser(t)];
    await onboardingOf(t, alice).completeOnboardingStep({ stepId: "accept_terms", data: TERMS });
    expect(stepsOf((await onboardingOf(t, bob).getOnboarding({})).onboarding).accept_terms).toBe(OnboardingStepStatus.PENDING);
    await expect(createClient(UserLifecycleService, t.transport()).getOnboarding({})).rejects.toMatchObject({ code: Code.Unauthenticated });
  });
});

describeWithServices("Onboarding from ONBOARDING_STEPS_FILE", () => {
  let t: TestApp;
  let dir: string;
  const clock = new ManualClock();
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "onboarding-"));
    const file = path.join(dir, "steps.json");
    await writeFile(
      file,
      JSON.stringify({
        steps: [
          { id: "accept_terms", title: "Accept the terms", required: true, schema: { type: "object", required: ["accepted"], properties: { accepted: { const: true } } } },
          { id: "source_of_funds", title: "Where your money comes from", required: true, schema: { type: "object", required: ["source"], properties: { source: { type: "string", minLength: 3 } } } },
          { id: "newsletter", title: "Newsletter", required: false, schema: { type: "object", properties: { topics: { type: "array" } } } },
        ],
      }),
    );
    t = await startTestApp({ clock, env: { REGISTRATIONS_PER_IP_PER_HOUR: "10000", ONBOARDING_STEPS_FILE: file, ONBOARDING_EXPIRES_AFTER: "2d" } });
  });
  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists the configured steps and completes when the required ones are, optional ones left", async () => {
    const user = await registerUser(t);
    const client = onboardingOf(t, user);
    expect((await client.getOnboarding({})).onboarding?.steps.map((step) => step.stepId)).toEqual(["accept_terms", "source_of_funds", "newsletter"]);
    await client.completeOnboardingStep({ stepId: "accept_terms", data: { accepted: true } });
    await expect(client.completeOnboardingStep({ stepId: "source_of_funds", data: { source: "x" } })).rejects.toMatchObject({ code: Code.InvalidArgument });
    clock.advance(60_000);
    const { onboarding } = await client.completeOnboardingStep({ stepId: "source_of_funds", data: { source: "salary" } });
    expect(onboarding).toMatchObject({ completed: true, expired: false });
    expect(timestampDate(onboarding!.completedAt!)).toEqual(clock.now());
    expect(stepsOf(onboarding).newsletter).toBe(OnboardingStepStatus.PENDING);
    expect((await completionAudits(t, user.userId)).at(-1)?.new_values).toMatchObject({ stepId: "source_of_funds", onboardingCompleted: true });
    // A completed onboarding never expires, and optional steps can still be answered.
    clock.advance(3 * DAY_MS);
    await expect(onboardingOf(t, await signedInAgain(t, user)).completeOnboardingStep({ stepId: "newsletter", data: { topics: ["fx"] } })).resolves.toMatchObject({ onboarding: { completed: true, expired: false } });
  });

  it("expires an unfinished onboarding at its deadline and takes no more answers", async () => {
    const user = await registerUser(t);
    await onboardingOf(t, user).completeOnboardingStep({ stepId: "accept_terms", data: { accepted: true } });
    const { onboarding: before } = await onboardingOf(t, user).getOnboarding({});
    expect(timestampDate(before!.expiresAt!).getTime()).toBe(clock.now().getTime() + 2 * DAY_MS);
    clock.advance(2 * DAY_MS);
    const client = onboardingOf(t, await signedInAgain(t, user));
    const { onboarding: after } = await client.getOnboarding({});
    expect(after).toMatchObject({ expired: true, completed: false });
    expect(stepsOf(after).accept_terms).toBe(OnboardingStepStatus.COMPLETED);
    await expect(client.completeOnboardingStep({ stepId: "source_of_funds", data: { source: "salary" } })).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: expect.stringContaining("expired"),
    });
  });

  it("completes exactly once when the last required steps are answered at the same time", async () => {
    for (let round = 0; round < 5; round++) {
      const user = await registerUser(t);
      const client = onboardingOf(t, user);
      const results = await Promise.all([
        client.completeOnboardingStep({ stepId: "accept_terms", data: { accepted: true } }),
        client.completeOnboardingStep({ stepId: "source_of_funds", data: { source: "savings" } }),
      ]);
      expect(results.some((result) => result.onboarding?.completed)).toBe(true);
      const audits = await completionAudits(t, user.userId);
      expect(audits.filter((row) => (row.new_values as { onboardingCompleted?: boolean }).onboardingCompleted)).toHaveLength(1);
      expect((await client.getOnboarding({})).onboarding?.completed).toBe(true);
    }
  });
});
