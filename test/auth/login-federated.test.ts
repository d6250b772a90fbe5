import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient } from "@connectrpc/connect";
import { decodeJwt, generateKeyPair } from "jose";
import { UserRegistrationRequest_RegistrationType as RegistrationType } from "../../gen/platform/user/v1/auth_service_pb.js";
import { IdentityProvider, MfaType } from "../../gen/platform/user/v1/common_pb.js";
import { SessionService } from "../../gen/platform/user/v1/session_service_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, GOOD_PASSWORD, profileClient, uniqueEmail } from "../support/factories.js";
import { enrolTotp } from "../support/mfa.js";
import { startIdentityProviders, type LocalIdentityProviders, type TestIdentityProvider } from "../support/oidc-provider.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("AuthService", () => {
  let t: TestApp;
  let idp: LocalIdentityProviders;
  let google: TestIdentityProvider;

  beforeAll(async () => {
    idp = await startIdentityProviders([{ name: "GOOGLE", issuer: "https://accounts.google.test", audience: "client-1", alg: "RS256", kid: "g1" }]);
    google = idp.providers.GOOGLE!;
    t = await startTestApp({ env: { OIDC_PROVIDERS: idp.oidcProvidersEnv, LOGIN_FAILURES_PER_IP: "1000" } });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  /** registerFederated signs up with a Google identity and returns its subject, and the sign-up session's token. */
  async function registerFederated(): Promise<{ subject: string; userId: string; accessToken: string }> {
    const subject = `google-${Math.random().toString(36).slice(2)}`;
    const res = await authClient(t).register({ registrationType: RegistrationType.GOOGLE, idToken: await google.idToken({ sub: subject }), fullName: "Fed User" });
    return { subject, userId: res.userId, accessToken: res.accessToken };
  }

  describe("Login with an id_token", () => {
    it("signs in the account registered with that identity, with amr fed", async () => {
      const { subject, userId } = await registerFederated();
      const login = await authClient(t).login({ identityProvider: IdentityProvider.GOOGLE, idToken: await google.idToken({ sub: subject }) });
      expect(login.result.case).toBe("tokens");
      const tokens = login.result.case === "tokens" ? login.result.value : undefined;
      expect(tokens?.userId).toBe(userId);
      await expect(profileClient(t, tokens!.accessToken).getProfile({})).resolves.toMatchObject({ userId });
      const audit = await t.db.selectFrom("audit_trail").select("new_values").where("action", "=", "auth.login").where("resource_id", "=", tokens!.sessionId).executeTakeFirstOrThrow();
      expect(audit.new_values).toMatchObject({ userId, amr: ["fed"] });
    });

    it("asks a user with a second factor for it, except from a device they trust", async () => {
      const user = await registerFederated();
      const { backupCodes } = await enrolTotp(t, user);
      const login = async (deviceId: string) =>
        authClient(t).login({ identityProvider: IdentityProvider.GOOGLE, idToken: await google.idToken({ sub: user.subject }), device: { deviceId } });

      const first = await login("tablet-1");
      if (first.result.case !== "mfaChallenge") throw new Error(`expected an MFA challenge, got ${first.result.case}`);
      const { tokens } = await authClient(t).completeMfaChallenge({ challengeId: first.result.value.challengeId, code: backupCodes[0]!, mfaType: MfaType.BACKUP_CODE });
      expect(decodeJwt(tokens!.accessToken).amr).toEqual(["fed", "otp"]);
      await createClient(SessionService, t.transport({ token: tokens!.accessToken })).trustDevice({ sessionId: tokens!.sessionId, trusted: true });

      expect((await login("tablet-1")).result.case).toBe("tokens");
      expect((await login("phone-9")).result.case).toBe("mfaChallenge");
    });

    it("answers NOT_FOUND for an identity no account is registered with", async () => {
      await expect(authClient(t).login({ identityProvider: IdentityProvider.GOOGLE, idToken: await google.idToken() })).rejects.toMatchObject({
        code: Code.NotFound,
      });
    });

    it("answers INVALID_ARGUMENT for a token the provider did not sign", async () => {
      const { subject } = await registerFederated();
      const { privateKey: strangersKey } = await generateKeyPair("RS256");
      const forged = await google.idToken({ sub: subject }, { key: strangersKey });
      await expect(authClient(t).login({ identityProvider: IdentityProvider.GOOGLE, idToken: forged })).rejects.toMatchObject({ code: Code.InvalidArgument });
    });

    it("counts a forged token and an unregistered identity as failed sign-ins", async () => {
      const failures = async (reason: string) => {
        const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
        const sample = `auth_login_failures_total{reason="${reason}"} `;
        return Number(text.split("\n").find((line) => line.startsWith(sample))?.slice(sample.length) ?? 0);
      };
      const [forgedBefore, unregisteredBefore] = [await failures("invalid_id_token"), await failures("identity_not_registered")];
      const { privateKey: strangersKey } = await generateKeyPair("RS256");
      const forged = await google.idToken({}, { key: strangersKey });
      await expect(authClient(t).login({ identityProvider: IdentityProvider.GOOGLE, idToken: forged })).rejects.toMatchObject({ code: Code.InvalidArgument });
      await expect(authClient(t).login({ identityProvider: IdentityProvider.GOOGLE, idToken: await google.idToken() })).rejects.toMatchObject({ code: Code.NotFound });
      expect(await failures("invalid_id_token")).toBe(forgedBefore + 1);
      expect(await failures("identity_not_registered")).toBe(unregisteredBefore + 1);
    });

    it("answers FAILED_PRECONDITION for a provider that is not configured", async () => {
      await expect(authClient(t).login({ identityProvider: IdentityProvider.APPLE, idToken: await google.idToken() })).rejects.toMatchObject({
        code: Code.FailedPrecondition,
      });
    });

    it("refuses a suspended account", async () => {
      const { subject, userId } = await registerFederated();
      await t.db.updateTable("users").set({ status: "suspended" }).where("id", "=", userId).execute();
      await expect(authClient(t).login({ identityProvider: IdentityProvider.GOOGLE, idToken: await google.idToken({ sub: subject }) })).rejects.toMatchObject({
        code: Code.FailedPrecondition,
      });
    });

    it.each([
      ["an id_token with email and password", { identityProvider: IdentityProvider.GOOGLE, idToken: "x.y.z", email: uniqueEmail(), password: GOOD_PASSWORD }],
      ["an id_token without its provider", { idToken: "x.y.z" }],
      ["a provider without an id_token", { identityProvider: IdentityProvider.GOOGLE }],
      ["an email without a password", { email: uniqueEmail() }],
      ["nothing at all", {}],
    ])("answers INVALID_ARGUMENT to %s", async (_, request) => {
      await expect(authClient(t).login(request)).rejects.toMatchObject({ code: Code.InvalidArgument });
    });
  });
});
