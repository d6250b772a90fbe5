import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient } from "@connectrpc/connect";
import { BatchVerificationOutcome, ComplianceService } from "../../gen/platform/user/v1/compliance_service_pb.js";
import { NameScreening, RuleVerification, type Applicant, type VerificationProvider } from "../../src/features/compliance/index.js";
import { createLogger } from "../../src/platform/logger.js";
import { deliverableEmail, SCREENING_ENV } from "../support/compliance.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { eventually } from "../support/eventually.js";
import { registerUser, registerWithRole, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const ENV = { ...SCREENING_ENV, REGISTRATIONS_PER_IP_PER_HOUR: "10000" };
const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const statusOf = (t: TestApp, userId: string) =>
  t.db.selectFrom("users").select("verification_status").where("id", "=", userId).executeTakeFirstOrThrow().then((row) => row.verification_status);

describeWithServices("VerifyUsers on users whose verification waits for a worker", () => {
  let t: TestApp;
  let officer: RegisteredUser;

  beforeAll(async () => {
    t = await startTestApp({ env: ENV }); // relays only: registrations' jobs wait in Redis
    officer = await registerWithRole(t, "compliance_officer");
  });
  afterAll(async () => {
    await t?.close();
  });

  const compliance = (caller: RegisteredUser) => createClient(ComplianceService, t.transport({ token: caller.accessToken }));

  it("decides each user now and answers their outcomes in the order asked; asked again, it answers the decisions made", async () => {
    const clean = await Promise.all(Array.from({ length: 20 }, () => registerUser(t, { email: deliverableEmail("batch"), fullName: "Margaret Okonkwo-Hale" })));
    const listed = await registerUser(t, { email: deliverableEmail("batch"), fullName: "Khalid Omar Hamad Al-Rashidi" });
    const reserved = await registerUser(t, { fullName: "Margaret Okonkwo-Hale" });
    expect(await statusOf(t, listed.userId)).toBe("pending");
    const unknown = randomUUID();
    const asked = [listed.userId, ...clean.map((user) => user.userId), unknown, reserved.userId];
    const expected = [
      { userId: listed.userId, outcome: BatchVerificationOutcome.REQUIRES_ADDITIONAL_VERIFICATION },
      ...clean.map((user) => ({ userId: user.userId, outcome: BatchVerificationOutcome.VERIFIED })),
      { userId: unknown, outcome: BatchVerificationOutcome.NOT_FOUND },
      { userId: reserved.userId, outcome: BatchVerificationOutcome.REQUIRES_ADDITIONAL_VERIFICATION },
    ];

    const first = await compliance(officer).verifyUsers({ userIds: asked });
    // A loaded machine may not decide all 23 within the call's budget: those answer TIMED_OUT and are
    // decided in the background (the budget itself is tested below); the order is the one asked.
    expect(first.results.map((result) => result.userId)).toEqual(asked);
    first.results.forEach((result, i) => expect([expected[i]!.outcome, BatchVerificationOutcome.TIMED_OUT]).toContain(result.outcome));

    const again = await eventually(
      () => compliance(officer).verifyUsers({ userIds: asked }),
      (answer) => answer.results.every((result) => result.outcome !== BatchVerificationOutcome.TIMED_OUT),
      10_000,
      "every user decided",
    );
    expect(again.results).toEqual(expected.map((result) => expect.objectContaining(result)));
    expect(await statusOf(t, listed.userId)).toBe("requires_additional_verification");
    const decisions = await t.db.selectFrom("audit_trail").select("resource_id").where("action", "=", "user.identity_verification").where("resource_id", "in", asked.filter((id) => id !== unknown)).execute();
    expect(decisions).toHaveLength(asked.length - 1);
  });

  it("refuses more than 1,000 users, a user twice, and callers without compliance.verify", async () => {
    await expect(compliance(officer).verifyUsers({ userIds: Array.from({ length: 1_001 }, () => randomUUID()) })).rejects.toMatchObject({ code: Code.InvalidArgument });
    const id = randomUUID();
    await expect(compliance(officer).verifyUsers({ userIds: [id, id] })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(compliance(officer).verifyUsers({ userIds: [] })).rejects.toMatchObject({ code: Code.InvalidArgument });
    const support = await registerWithRole(t, "support");
    await expect(compliance(support).verifyUsers({ userIds: [id] })).rejects.toMatchObject({ code: Code.PermissionDenied });
  });
});

/** SlowProvider is the built-in rules, taking 1.5 s for names that start with "Slow" (a vendor having a slow day). */
class SlowProvider implements VerificationProvider {
  readonly name = "rules";
  constructor(private readonly rules: RuleVerification) {}
  async verify(applicant: Applicant) {
    if (applicant.fullName.startsWith("Slow")) await new Promise((resolve) => setTimeout(resolve, 1_500));
    return this.rules.verify(applicant);
  }
}

describe("VerifyUsers within its budget", () => {
  let t: TestApp;
  let officer: RegisteredUser;
  let screening: NameScreening;

  beforeAll(async () => {
    screening = await NameScreening.open({ sanctionsFile: ENV.SANCTIONS_LIST_FILE, pepFile: undefined, threshold: 0.9, log: createLogger("silent") });
    t = await startTestApp({ embedded: true, env: ENV, services: { verificationProvider: new SlowProvider(new RuleVerification(screening)) } });
    officer = await registerWithRole(t, "compliance_officer");
  });
  afterAll(async () => {
    await t?.close();
    screening?.close();
  });

  it("answers within 500 ms, the users not decided by then TIMED_OUT, and decides those in the background", async () => {
    const slow = await Promise.all([1, 2].map(() => registerUser(t, { email: deliverableEmail("batch"), fullName: "Slow Okonkwo-Hale" })));
    const quick = await registerUser(t, { email: deliverableEmail("batch"), fullName: "Margaret Okonkwo-Hale" });
    const started = performance.now();
    const { results } = await createClient(ComplianceService, t.transport({ token: officer.accessToken })).verifyUsers({ userIds: [...slow.map((user) => user.userId), quick.userId] });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(results).toEqual([
      expect.objectContaining({ userId: slow[0]!.userId, outcome: BatchVerificationOutcome.TIMED_OUT }),
      expect.objectContaining({ userId: slow[1]!.userId, outcome: BatchVerificationOutcome.TIMED_OUT }),
      expect.objectContaining({ userId: quick.userId, outcome: BatchVerificationOutcome.VERIFIED }),
    ]);
    for (const user of slow) await eventually(() => statusOf(t, user.userId), (status) => status === "verified", 10_000, "the background verification");
  });
});
