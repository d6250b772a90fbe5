import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { generateKeyPair, SignJWT } from "jose";
import {
  UserRegistrationRequest_ProfileDetails_InvestmentProfile as InvestmentProfile,
  UserRegistrationRequest_ProfileDetails_RiskTolerance as RiskTolerance,
  UserRegistrationRequest_RegistrationType as RegistrationType,
  UserRegistrationResponse_VerificationStatus as VerificationStatus,
  type UserRegistrationRequestSchema,
} from "../../gen/platform/user/v1/auth_service_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { startIdentityProviders, type LocalIdentityProviders, type ProviderSpec, type TestIdentityProvider } from "../support/oidc-provider.js";
import { authClient, GOOD_PASSWORD, uniqueEmail } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

type RegistrationInit = MessageInitShape<typeof UserRegistrationRequestSchema>;

// Most tests register from 127.0.0.1; the per-IP limit has its own describe below.
const UNLIMITED = { REGISTRATIONS_PER_IP_PER_HOUR: "100000" };

function emailRegistration(overrides: RegistrationInit = {}): RegistrationInit {
  return { email: uniqueEmail(), password: GOOD_PASSWORD, fullName: "Test User", ...overrides };
}

function register(t: TestApp, overrides: RegistrationInit = {}) {
  return authClient(t).register(emailRegistration(overrides));
}

/** postRegisterJson sends a hand-written Connect JSON body, for values the typed client cannot express. */
async function postRegisterJson(t: TestApp, body: Record<string, unknown>): Promise<{ status: number; body: { code?: string } }> {
  const res = await fetch(`${t.baseUrl}/platform.user.v1.AuthService/Register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { code?: string } };
}

/** astral is n distinct characters outside the BMP: 2n UTF-16 code units, 4n UTF-8 bytes. */
const astral = (n: number) => Array.from({ length: n }, (_, i) => String.fromCodePoint(0x1f300 + ((i * 37) % 700))).join("");

/** A random printable password of the given length, strong enough for the policy. */
const randomPassword = (length: number) => randomBytes(length).toString("base64url").slice(0, length);

describeWithServices("AuthService", () => {
  describe("Register", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: UNLIMITED });
    });
    afterAll(() => t?.close());

    it("creates a pending account, its first session and tokens", async () => {
      const label = randomBytes(4).toString("hex");
      const res = await register(t, {
        email: `Mixed.Case.${label}@Example.COM`,
        profileDetails: { investmentProfile: InvestmentProfile.AGGRESSIVE, riskTolerance: RiskTolerance.HIGH },
      });
      expect(res.userId).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.accessToken.split(".")).toHaveLength(3);
      expect(res.refreshToken).not.toBe("");
      expect(res.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.status).toBe(VerificationStatus.PENDING);

      const user = await t.db.selectFrom("users").selectAll().where("id", "=", res.userId).executeTakeFirstOrThrow();
      expect(user).toMatchObject({
        email: `mixed.case.${label}@example.com`,
        status: "pending_verification", // identity verification decides the verification status, in a job
        registration_type: "email",
        investment_profile: "aggressive",
        risk_tolerance: "high",
      });
      const session = await t.db.selectFrom("sessions").selectAll().where("id", "=", res.sessionId).executeTakeFirstOrThrow();
      expect(session.user_id).toBe(res.userId);
    });

    it("stores the email trimmed and lower-cased", async () => {
      const email = uniqueEmail("Trimmed").toUpperCase();
      const res = await register(t, { email: `  ${email}\t` });
      const user = await t.db.selectFrom("users").select("email").where("id", "=", res.userId).executeTakeFirstOrThrow();
      expect(user.email).toBe(email.toLowerCase());
    });

    it("stores only an argon2id hash of the password", async () => {
      const res = await register(t);
      const credentials = await t.db.selectFrom("credentials").selectAll().where("user_id", "=", res.userId).execute();
      // OWASP's argon2id parameters: 19 MiB, two passes, one lane.
      const phc = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
      expect(credentials).toEqual([expect.objectContaining({ kind: "password", password_hash: expect.stringMatching(phc), oidc_issuer: null })]);
      expect(JSON.stringify(credentials)).not.toContain(GOOD_PASSWORD);
    });

    it("queues identity verification and audits the sign-up without the password", async () => {
      const email = uniqueEmail();
      const res = await register(t, { email });
      const jobs = await t.db.selectFrom("outbox").selectAll().where("queue", "=", "identity-verification").execute();
      expect(jobs.filter((job) => job.payload.userId === res.userId).map((job) => job.payload)).toEqual([{ userId: res.userId }]);

      const audit = await t.db
        .selectFrom("audit_trail")
        .selectAll()
        .where("action", "=", "user.register")
        .where("resource_id", "=", res.userId)
        .executeTakeFirstOrThrow();
      expect(audit).toMatchObject({ resource_type: "user", actor_user_id: res.userId, ip_address: "127.0.0.1" });
      expect(audit.new_values).toMatchObject({ email, status: "pending_verification" });
      const stored = JSON.stringify(audit.new_values);
      expect(stored).not.toMatch(/password/i);
      expect(stored).not.toContain(GOOD_PASSWORD);
    });

    it.each([
      ["the same email", (email: string) => email],
      ["the email in another case", (email: string) => email.toUpperCase()],
      ["the email with surrounding whitespace", (email: string) => ` ${email}  `],
    ])("answers ALREADY_EXISTS for %s", async (_, variant) => {
      const email = uniqueEmail();
      await register(t, { email });
      await expect(register(t, { email: variant(email) })).rejects.toMatchObject({ code: Code.AlreadyExists });
    });

    it.each<[string, RegistrationInit]>([
      ["the email is not an address", { email: "not-an-email" }],
      ["the email belongs to a throwaway-mail service", { email: `ann.${randomBytes(3).toString("hex")}@mailinator.com` }],
      ["the email is on a subdomain of a throwaway-mail service", { email: `ann.${randomBytes(3).toString("hex")}@x.10mail.org` }],
      ["the email is longer than 254 characters", { email: `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(58)}.com` }],
      ["an EMAIL registration has no email", { email: "" }],
      ["the full name is empty", { fullName: "" }],
      ["the full name is longer than 200 characters", { fullName: "a".repeat(201) }],
      ["the full name is only white space", { fullName: "\u00a0 \t" }],
      ["the full name holds a NUL character", { fullName: "Bob\u0000 Smith" }],
      ["the device name holds a NUL character", { device: { deviceName: "phone\u0000" } }],
      ["the password is shorter than 12 characters", { password: GOOD_PASSWORD.slice(0, 11) }],
      // 11 characters but 22 UTF-16 code units: length is counted in characters.
      ["the password is 11 astral characters", { password: astral(11) }],
      ["the password is longer than 128 characters", { password: randomPassword(129) }],
      ["the password is on the common-passwords list", { password: "123qweasdzxc" }],
      ["the password is a repeated dictionary word", { password: "passwordpassword" }],
      ["a GOOGLE registration has no id_token", { registrationType: RegistrationType.GOOGLE, password: "", idToken: "" }],
      ["the investment profile is not a defined value", { profileDetails: { investmentProfile: 7 as InvestmentProfile } }],
      ["the risk tolerance is not a defined value", { profileDetails: { riskTolerance: -1 as RiskTolerance } }],
    ])("answers INVALID_ARGUMENT when %s", async (_, overrides) => {
      await expect(register(t, overrides)).rejects.toMatchObject({ code: Code.InvalidArgument });
    });

    it("accepts passwords of 12 and of 128 characters however many UTF-16 units they take", async () => {
      for (const password of [astral(12), astral(128), randomPassword(128)]) {
        await expect(register(t, { password })).resolves.toMatchObject({ status: VerificationStatus.PENDING });
      }
    });

    it("refuses a password made of the user's own name or email, and accepts it from someone else", async () => {
      const password = "QuorvathZellinbrandt";
      await expect(register(t, { fullName: "Quorvath Zellinbrandt", password })).rejects.toMatchObject({ code: Code.InvalidArgument });
      const email = `zellinbrandt.quorvath.${randomBytes(3).toString("hex")}@example.com`;
      await expect(register(t, { email, password })).rejects.toMatchObject({ code: Code.InvalidArgument });
      await expect(register(t, { fullName: "Ann Smith", password })).resolves.toMatchObject({ status: VerificationStatus.PENDING });
    });

    it("refuses the user's own name joined by separators, with or without a year", async () => {
      for (const password of ["Quorvath.Zellinbrandt", "Zellinbrandt-Quorvath", "quorvath_zellinbrandt_1990!"]) {
        await expect(register(t, { fullName: "Quorvath Zellinbrandt", password })).rejects.toMatchObject({ code: Code.InvalidArgument });
      }
      await expect(register(t, { fullName: "Quorvath Zellinbrandt", password: "quorvath violet harbor lantern" })).resolves.toMatchObject({
        status: VerificationStatus.PENDING,
      });
    });

    it("answers INVALID_ARGUMENT for a registration_type number the enum does not define", async () => {
      const body = { email: uniqueEmail(), password: GOOD_PASSWORD, fullName: "Raw Json" };
      const refused = await postRegisterJson(t, { ...body, registrationType: 9 });
      expect(refused).toMatchObject({ status: 400, body: { code: "invalid_argument" } });
      // The same body with a defined number goes through, so it is the enum value that was refused.
      const accepted = await postRegisterJson(t, { ...body, registrationType: 0 });
      expect(accepted.status).toBe(200);
    });

    it("creates no account when the organization invite token is no invitation", async () => {
      const email = uniqueEmail();
      await expect(register(t, { email, organizationInviteToken: "invite-123" })).rejects.toMatchObject({ code: Code.NotFound });
      const created = await t.db.selectFrom("users").select("id").where("email", "=", email).executeTakeFirst();
      expect(created).toBeUndefined();
    });
  });

  describe("Register with a per-IP limit of 2 an hour", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "2" } });
    });
    afterAll(() => t?.close());

    it("answers RESOURCE_EXHAUSTED to the third registration from one address", async () => {
      // Refused weak passwords are not counted: a user fixing theirs is not locked out.
      for (let i = 0; i < 3; i++) await expect(register(t, { password: "123qweasdzxc" })).rejects.toMatchObject({ code: Code.InvalidArgument });
      await register(t);
      await register(t);
      const refused = await register(t).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ConnectError);
      expect(refused).toMatchObject({ code: Code.ResourceExhausted });
      // The answer says which limit was hit and when to try again.
      expect((refused as ConnectError).metadata.get("x-error-reason")).toBe("registration_rate_ip");
      expect(Number((refused as ConnectError).metadata.get("retry-after"))).toBeGreaterThan(0);
    });
  });

  describe("Register when the provider's key set cannot be fetched", () => {
    let t: TestApp;
    beforeAll(async () => {
      // A port that was free a moment ago: connections to it are refused.
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
      const { port } = probe.address() as AddressInfo;
      await new Promise((resolve) => probe.close(resolve));
      const google = { issuer: "https://accounts.google.test", audience: "client-1", jwksUri: `http://127.0.0.1:${port}/jwks` };
      t = await startTestApp({ env: { ...UNLIMITED, OIDC_PROVIDERS: JSON.stringify({ GOOGLE: google }) } });
    });
    afterAll(() => t?.close());

    it("answers UNAVAILABLE, not INVALID_ARGUMENT: the token may well be good", async () => {
      const { privateKey } = await generateKeyPair("RS256");
      const token = await new SignJWT({ email: uniqueEmail("oidc"), email_verified: true })
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setIssuer("https://accounts.google.test")
        .setAudience("client-1")
        .setSubject(randomUUID())
        .setIssuedAt()
        .setExpirationTime("10m")
        .sign(privateKey);
      await expect(authClient(t).register({ registrationType: RegistrationType.GOOGLE, idToken: token, fullName: "Federated User" })).rejects.toMatchObject({
        code: Code.Unavailable,
      });
    });
  });

  describe("Register with an OpenID Connect id_token", () => {
    type Provider = ProviderSpec & { type: RegistrationType };
    const google: Provider = { name: "GOOGLE", type: RegistrationType.GOOGLE, issuer: "https://accounts.google.test", audience: "client-1", alg: "RS256", kid: "google-1" };
    const enterprise: Provider = {
      name: "ENTERPRISE",
      type: RegistrationType.ENTERPRISE,
      issuer: "https://sso.enterprise.test/realms/acme",
      audience: "user-service",
      alg: "ES256",
      kid: "acme-1",
    };
    let idp: LocalIdentityProviders;
    let t: TestApp;

    beforeAll(async () => {
      idp = await startIdentityProviders([google, enterprise]);
      t = await startTestApp({ env: { ...UNLIMITED, OIDC_PROVIDERS: idp.oidcProvidersEnv } });
    });
    afterAll(async () => {
      await t?.close();
      await idp?.close();
    });

    const idToken = (provider: Provider, ...args: Parameters<TestIdentityProvider["idToken"]>) => idp.providers[provider.name]!.idToken(...args);

    function registerWith(provider: Provider | RegistrationType, token: string, email = "") {
      const registrationType = typeof provider === "object" ? provider.type : provider;
      return authClient(t).register({ registrationType, idToken: token, email, fullName: "Federated User" });
    }

    it.each([google, enterprise])("registers a $name user under the token's verified email", async (provider) => {
      const subject = randomUUID();
      const email = uniqueEmail("Fed.User");
      const res = await registerWith(provider, await idToken(provider, { sub: subject, email: email.toUpperCase() }));
      expect(res.status).toBe(VerificationStatus.PENDING);
      expect(res.accessToken).not.toBe("");

      const user = await t.db.selectFrom("users").select(["email", "registration_type", "status"]).where("id", "=", res.userId).executeTakeFirstOrThrow();
      expect(user).toEqual({ email: email.toLowerCase(), registration_type: provider.name.toLowerCase(), status: "pending_verification" });
      const credentials = await t.db.selectFrom("credentials").selectAll().where("user_id", "=", res.userId).execute();
      expect(credentials).toEqual([expect.objectContaining({ kind: "oidc", oidc_issuer: provider.issuer, oidc_subject: subject, password_hash: null })]);
    });

    it("accepts a request email equal to the token's in another case, and refuses a different one", async () => {
      const email = uniqueEmail();
      await expect(registerWith(google, await idToken(google), uniqueEmail())).rejects.toMatchObject({ code: Code.InvalidArgument });
      await expect(registerWith(google, await idToken(google, { email }), email.toUpperCase())).resolves.toMatchObject({
        status: VerificationStatus.PENDING,
      });
    });

    it("answers ALREADY_EXISTS when the identity is registered already, even under another email", async () => {
      const sub = randomUUID();
      await registerWith(google, await idToken(google, { sub }));
      await expect(registerWith(google, await idToken(google, { sub }))).rejects.toMatchObject({ code: Code.AlreadyExists });
    });

    const unsignedToken = () => {
      const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: google.issuer, aud: google.audience, sub: randomUUID(), email: uniqueEmail(), email_verified: true, iat: now, exp: now + 600 };
      return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
    };

    it.each<[string, () => Promise<string>]>([
      ["is for another audience", () => idToken(google, { aud: "someone-else" })],
      ["comes from another issuer", () => idToken(google, { iss: enterprise.issuer })],
      ["expired", () => idToken(google, { iat: Math.floor(Date.now() / 1000) - 3600, exp: Math.floor(Date.now() / 1000) - 120 })],
      ["is signed by a key the provider does not publish, under its key id", async () => idToken(google, {}, { key: (await generateKeyPair("RS256")).privateKey })],
      ["is unsigned (alg none)", async () => unsignedToken()],
      ["is not a JWT at all", async () => "not.a.jwt"],
      ["says email_verified false", () => idToken(google, { email_verified: false })],
      ["has no email_verified claim", () => idToken(google, { email_verified: undefined })],
      ["has no email", () => idToken(google, { email: undefined })],
    ])("answers INVALID_ARGUMENT when the id_token %s", async (_, token) => {
      await expect(registerWith(google, await token())).rejects.toMatchObject({ code: Code.InvalidArgument });
    });

    it("accepts email_verified sent as the string \"true\", as Apple does", async () => {
      const res = await registerWith(enterprise, await idToken(enterprise, { email_verified: "true" }));
      expect(res.status).toBe(VerificationStatus.PENDING);
    });

    it("answers FAILED_PRECONDITION for a provider that is not configured", async () => {
      await expect(registerWith(RegistrationType.APPLE, await idToken(google))).rejects.toMatchObject({ code: Code.FailedPrecondition });
    });
  });
});
