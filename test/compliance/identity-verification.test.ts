import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient } from "@connectrpc/connect";
import { AuthService, UserRegistrationRequest_RegistrationType as RegistrationType, UserRegistrationResponse_VerificationStatus as VerificationStatus } from "../../gen/platform/user/v1/auth_service_pb.js";
import { UserStatus } from "../../gen/platform/user/v1/common_pb.js";
import { ComplianceService, KycLevel, KycStatus, PepStatus, RiskRating, SanctionsCheckStatus } from "../../gen/platform/user/v1/compliance_service_pb.js";
import { deliverableEmail, JOB_SETUP_TIMEOUT_MS, JOB_SETUPS, SCREENING_ENV } from "../support/compliance.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { eventually } from "../support/eventually.js";
import { profileClient, registerUser, registerWithRole, type RegisteredUser } from "../support/factories.js";
import { startIdentityProviders, type LocalIdentityProviders, type ProviderSpec } from "../support/oidc-provider.js";

const ENV = { ...SCREENING_ENV, REGISTRATIONS_PER_IP_PER_HOUR: "10000" };



describe.each(JOB_SETUPS)("identity verification after Register, %s", (_, setup) => {
  let t: TestApp;
  let officer: RegisteredUser;

  beforeAll(async () => {
    t = await startTestApp({ ...setup, env: ENV });
    officer = await registerWithRole(t, "compliance_officer");
  }, JOB_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  const compliance = () => createClient(ComplianceService, t.transport({ token: officer.accessToken }));
  const settled = (user: RegisteredUser) =>
    eventually(() => profileClient(t, user.accessToken).getProfile({}), (profile) => profile.verificationStatus !== VerificationStatus.PENDING, 10_000, "a verification decision");
  const auditOf = (userId: string) =>
    t.db.selectFrom("audit_trail").select(["actor_user_id", "new_values", "compliance_relevant"]).where("action", "=", "user.identity_verification").where("resource_id", "=", userId).execute();

  it("verifies a user whose address reaches them and whose name is on no list, and activates the account", async () => {
    const user = await registerUser(t, { email: deliverableEmail(), fullName: "Margaret Okonkwo-Hale" });
    const profile = await settled(user);
    expect(profile).toMatchObject({ verificationStatus: VerificationStatus.VERIFIED, status: UserStatus.ACTIVE });

    await expect(compliance().getComplianceProfile({ userId: user.userId })).resolves.toMatchObject({
      userId: user.userId,
      kycStatus: KycStatus.NOT_STARTED,
      kycLevel: KycLevel.NONE,
      sanctionsCheckStatus: SanctionsCheckStatus.CLEAR,
      pepStatus: PepStatus.NOT_PEP,
      riskRating: RiskRating.LOW,
      eddRequired: false,
      // The risk-scoring job may have added the new account's own factors; no screening factor.
      riskFactors: expect.not.arrayContaining(["sanctions_potential_match", "pep_potential_match"]),
      lastScreenedAt: expect.anything(),
    });
    expect(await auditOf(user.userId)).toEqual([
      {
        actor_user_id: null,
        compliance_relevant: true,
        new_values: { verificationStatus: "verified", reasons: [], provider: "rules", sanctionsCheckStatus: "clear", pepStatus: "not_pep", screeningHits: 0 },
      },
    ]);
    const history = await t.db.selectFrom("user_status_history").select(["previous_status", "new_status", "reason", "changed_by"]).where("user_id", "=", user.userId).execute();
    expect(history).toEqual([{ previous_status: "pending_verification", new_status: "active", reason: "identity_verified", changed_by: null }]);
  });

  it("asks for more when the name may be on the sanctions list: potential match, high risk, enhanced due diligence, in review", async () => {
    const user = await registerUser(t, { email: deliverableEmail(), fullName: "Dmitri Sergeyevich Volkov" });
    const profile = await settled(user);
    expect(profile).toMatchObject({ verificationStatus: VerificationStatus.REQUIRES_ADDITIONAL_VERIFICATION, status: UserStatus.PENDING_VERIFICATION });

    const screened = await compliance().getComplianceProfile({ userId: user.userId });
    expect(screened.riskScore).toBeGreaterThanOrEqual(70);
    expect(screened).toMatchObject({
      sanctionsCheckStatus: SanctionsCheckStatus.POTENTIAL_MATCH,
      riskRating: RiskRating.HIGH,
      eddRequired: true,
      riskFactors: expect.arrayContaining(["sanctions_potential_match"]),
    });
    const stored = await t.db.selectFrom("compliance_profiles").selectAll().where("user_id", "=", user.userId).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ review_reason: "screening_match", review_requested_at: expect.any(Date), verification_reasons: ["sanctions_potential_match"] });
    expect(stored.screening_matches).toEqual([expect.objectContaining({ list: "sanctions", entryId: "1001", listedName: "VOLKOV, Dmitri Sergeyevich", score: expect.any(Number) })]);
  });

  it("asks for more for a politically exposed person", async () => {
    const user = await registerUser(t, { email: deliverableEmail(), fullName: "Isabella Fontaine-Moreau" });
    await expect(settled(user)).resolves.toMatchObject({ verificationStatus: VerificationStatus.REQUIRES_ADDITIONAL_VERIFICATION });
    await expect(compliance().getComplianceProfile({ userId: user.userId })).resolves.toMatchObject({
      sanctionsCheckStatus: SanctionsCheckStatus.CLEAR,
      pepStatus: PepStatus.PEP,
      riskRating: RiskRating.MEDIUM,
      eddRequired: true,
    });
  });

  it("asks for more when the address is under a domain reserved for examples, which no mail reaches", async () => {
    const user = await registerUser(t, { email: `reserved.${randomBytes(4).toString("hex")}@example.com`, fullName: "Margaret Okonkwo-Hale" });
    await expect(settled(user)).resolves.toMatchObject({ verificationStatus: VerificationStatus.REQUIRES_ADDITIONAL_VERIFICATION, status: UserStatus.PENDING_VERIFICATION });
    expect((await auditOf(user.userId))[0]!.new_values).toMatchObject({ reasons: ["email_domain_reserved"], sanctionsCheckStatus: "clear" });
  });

  it("has its effect once however often the job runs, also at the same time", async () => {
    const user = await registerUser(t, { email: deliverableEmail(), fullName: "Oluwaseun Adebayo-Lindqvist" });
    const outcomes = await Promise.all([1, 2, 3, 4].map(() => t.app.context.verification.verify(user.userId)));
    await settled(user);
    expect(outcomes.filter((outcome) => outcome === "verified").length).toBeLessThanOrEqual(1);
    expect(outcomes.every((outcome) => outcome === "verified" || outcome === "already_decided")).toBe(true);
    await expect(t.app.context.verification.verify(user.userId)).resolves.toBe("already_decided");
    expect(await auditOf(user.userId)).toHaveLength(1);
    const history = await t.db.selectFrom("user_status_history").select("new_status").where("user_id", "=", user.userId).execute();
    expect(history).toEqual([{ new_status: "active" }]);
  });

  it("answers NOT_FOUND for a user nobody has, and refuses callers who are not compliance officers", async () => {
    await expect(compliance().getComplianceProfile({ userId: "7d1c1d0e-5b7e-4f43-9d49-3a1f1e0b8c11" })).rejects.toMatchObject({ code: Code.NotFound });
    const user = await registerUser(t, { email: deliverableEmail() });
    const own = createClient(ComplianceService, t.transport({ token: user.accessToken }));
    await expect(own.getComplianceProfile({ userId: user.userId })).rejects.toMatchObject({ code: Code.PermissionDenied });
  });
});

describe("identity verification without a sanctions list", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ embedded: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("verifies nobody: a user nobody could screen needs more (not_screened), and reads as never screened", async () => {
    const user = await registerUser(t, { email: deliverableEmail(), fullName: "Margaret Okonkwo-Hale" });
    const profile = await eventually(() => profileClient(t, user.accessToken).getProfile({}), (p) => p.verificationStatus !== VerificationStatus.PENDING, 10_000);
    expect(profile.verificationStatus).toBe(VerificationStatus.REQUIRES_ADDITIONAL_VERIFICATION);
    const audit = await t.db.selectFrom("audit_trail").select("new_values").where("action", "=", "user.identity_verification").where("resource_id", "=", user.userId).executeTakeFirstOrThrow();
    expect(audit.new_values).toMatchObject({ reasons: ["not_screened"], sanctionsCheckStatus: "not_checked", pepStatus: "not_checked" });
    const stored = await t.db.selectFrom("compliance_profiles").select(["sanctions_status", "last_screened_at"]).where("user_id", "=", user.userId).executeTakeFirstOrThrow();
    expect(stored).toEqual({ sanctions_status: "not_checked", last_screened_at: null });
  });
});

describe("identity verification of a federated sign-up", () => {
  const google: ProviderSpec = { name: "GOOGLE", issuer: "https://accounts.google.test", audience: "client-1", alg: "RS256", kid: "google-1" };
  let idp: LocalIdentityProviders;
  let t: TestApp;

  beforeAll(async () => {
    idp = await startIdentityProviders([google]);
    t = await startTestApp({ embedded: true, env: { ...SCREENING_ENV, OIDC_PROVIDERS: idp.oidcProvidersEnv } });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it("takes the provider's email_verified claim as the address reaching its owner", async () => {
    const email = deliverableEmail("federated");
    const idToken = await idp.providers.GOOGLE!.idToken({ email });
    const res = await createClient(AuthService, t.transport()).register({ registrationType: RegistrationType.GOOGLE, idToken, fullName: "Margaret Okonkwo-Hale" });
    const profile = await eventually(() => profileClient(t, res.accessToken).getProfile({}), (p) => p.verificationStatus !== VerificationStatus.PENDING, 10_000);
    expect(profile).toMatchObject({ verificationStatus: VerificationStatus.VERIFIED, status: UserStatus.ACTIVE });
  });
});
