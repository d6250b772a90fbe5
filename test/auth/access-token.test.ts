import { generateKeyPairSync, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, type JWK, type JWTPayload, type JWTHeaderParameters } from "jose";
import { ProfileService } from "../../gen/platform/user/v1/profile_service_pb.js";
import { startTestApp, testSigningKey, type TestApp } from "../support/app.js";
import { authClient, profileClient, registerUser, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

// Not the defaults, so the tests show the configured values are the ones used.
const ISSUER = "https://auth.platform.test";
const AUDIENCE = "trading-platform";
/** The access-token lifetime the service issues tokens with. */
const TTL = 3600;

async function signInTokens(t: TestApp, user: RegisteredUser) {
  const res = await authClient(t).login({ email: user.email, password: user.password });
  if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
  return res.result.value;
}

/**
 * forgeAccessToken signs, by default with the service's own key, a token that is valid for user's
 * session; each refusal test below changes exactly one thing about it.
 */
async function forgeAccessToken(
  user: RegisteredUser,
  options: { claims?: JWTPayload; header?: Partial<JWTHeaderParameters>; key?: Parameters<SignJWT["sign"]>[0] } = {},
): Promise<string> {
  const serviceKey = await testSigningKey();
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: user.userId,
    sid: user.sessionId,
    client_id: ISSUER,
    iat: now,
    exp: now + 3600,
    jti: randomUUID(),
    amr: ["pwd"],
    ...options.claims,
  })
    .setProtectedHeader({ alg: "EdDSA", kid: serviceKey.kid, typ: "at+jwt", ...options.header })
    .sign(options.key ?? serviceKey.privateKey);
}

/** profileWithAuthorization calls ProfileService with a raw authorization header value. */
function profileWithAuthorization(t: TestApp, authorization: string) {
  const header: Interceptor = (next) => (req) => {
    req.header.set("authorization", authorization);
    return next(req);
  };
  return createClient(ProfileService, createConnectTransport({ baseUrl: t.baseUrl, httpVersion: "2", interceptors: [header] }));
}

/** tamper replaces the payload of a signed token and keeps its signature. */
function tamper(token: string, change: (claims: JWTPayload) => JWTPayload): string {
  const [header, , signature] = token.split(".");
  const payload = Buffer.from(JSON.stringify(change(decodeJwt(token)))).toString("base64url");
  return `${header}.${payload}.${signature}`;
}

describeWithServices("access tokens", () => {
  let t: TestApp;
  let user: RegisteredUser;
  beforeAll(async () => {
    t = await startTestApp({ env: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } });
    user = await registerUser(t);
  });
  afterAll(() => t?.close());

  describe("AuthService", () => {
    describe("Login access token", () => {
      it("is signed EdDSA with typ at+jwt and a kid published at /.well-known/jwks.json", async () => {
        const { accessToken } = await signInTokens(t, user);
        const header = decodeProtectedHeader(accessToken);
        expect(header).toMatchObject({ alg: "EdDSA", typ: "at+jwt" });
        expect(header.kid).toEqual(expect.any(String));

        const res = await fetch(`${t.baseUrl}/.well-known/jwks.json`);
        expect(res.status).toBe(200);
        const { keys } = (await res.json()) as { keys: JWK[] };
        expect(keys.find((key) => key.kid === header.kid)).toMatchObject({ kty: "OKP", crv: "Ed25519" });
        // Only the public half is published.
        expect(keys.every((key) => key.d === undefined)).toBe(true);
      });

      it("carries iss, aud, sub, sid, iat, exp = iat + 3600, jti and amr", async () => {
        const tokens = await signInTokens(t, user);
        const claims = decodeJwt(tokens.accessToken);
        expect(claims).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: user.userId, sid: tokens.sessionId, amr: ["pwd"] });
        expect(claims.jti).toEqual(expect.any(String));
        expect(claims.iat).toBeGreaterThan(Date.now() / 1000 - 60);
        expect(claims.exp).toBe(claims.iat! + 3600);
      });

      it("gives every token its own jti", async () => {
        const [first, second] = [await signInTokens(t, user), await signInTokens(t, user)];
        expect(decodeJwt(first.accessToken).jti).not.toBe(decodeJwt(second.accessToken).jti);
      });

      it("verifies offline against the published JWKS with the algorithm pinned", async () => {
        const { accessToken, sessionId } = await signInTokens(t, user);
        const jwks = createRemoteJWKSet(new URL(`${t.baseUrl}/.well-known/jwks.json`));
        const { payload, protectedHeader } = await jwtVerify(accessToken, jwks, { algorithms: ["EdDSA"], issuer: ISSUER, audience: AUDIENCE, typ: "at+jwt" });
        expect(payload).toMatchObject({ sub: user.userId, sid: sessionId });
        expect(protectedHeader.alg).toBe("EdDSA");
      });
    });

    describe("Register access token", () => {
      it("is an access token for the new session with amr pwd", async () => {
        const registered = await registerUser(t);
        const claims = decodeJwt(registered.accessToken);
        expect(claims).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: registered.userId, sid: registered.sessionId, amr: ["pwd"] });
        expect(claims.exp).toBe(claims.iat! + 3600);
      });
    });
  });

  describe("ProfileService", () => {
    describe("GetProfile", () => {
      it("accepts the service's own token and a token forged exactly like one", async () => {
        await expect(profileClient(t, user.accessToken).getProfile({})).resolves.toMatchObject({ userId: user.userId, email: user.email });
        // Proves forgeAccessToken makes valid tokens, so each refusal below comes from its one change.
        await expect(profileClient(t, await forgeAccessToken(user)).getProfile({})).resolves.toMatchObject({ userId: user.userId });
      });

      it("answers UNAUTHENTICATED without a token", async () => {
        await expect(profileClient(t).getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
      });

      it.each<[string, (token: string) => string]>([
        ["has no scheme", (token) => token],
        ["uses the Basic scheme", (token) => `Basic ${token}`],
        ["has the scheme only", () => "Bearer"],
        ["carries something that is not a JWT", () => "Bearer not-a-jwt"],
      ])("answers UNAUTHENTICATED when the authorization header %s", async (_, authorization) => {
        await expect(profileWithAuthorization(t, authorization(user.accessToken)).getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
      });

      const now = () => Math.floor(Date.now() / 1000);
      /**
       * forgeWithTimes forges a token with the times `times` derives from one reading of the clock
       * (two readings could straddle a second). The server reads its clock later, never earlier, so
       * a time at the edge of the tolerance stays inside it.
       */
      const forgeWithTimes = (times: (now: number) => JWTPayload) => forgeAccessToken(user, { claims: times(now()) });
      it.each<[string, () => Promise<string>]>([
        ["is signed by another key under the service's key id", () => forgeAccessToken(user, { key: generateKeyPairSync("ed25519").privateKey })],
        ["has typ JWT instead of at+jwt", () => forgeAccessToken(user, { header: { typ: "JWT" } })],
        ["has no typ", () => forgeAccessToken(user, { header: { typ: undefined } })],
        ["expired", () => forgeAccessToken(user, { claims: { iat: now() - 7200, exp: now() - 3600 } })],
        ["is for another audience", () => forgeAccessToken(user, { claims: { aud: "another-platform" } })],
        ["comes from another issuer", () => forgeAccessToken(user, { claims: { iss: "https://evil.test" } })],
        ["has its payload changed after signing", async () => tamper(user.accessToken, (claims) => ({ ...claims, amr: ["pwd", "otp"] }))],
        ["has its expiry extended after signing", async () => tamper(user.accessToken, (claims) => ({ ...claims, exp: claims.exp! + 86_400 }))],
        // Correctly signed, but with times the service never sets (a leaked key, a replica's wrong clock).
        ["was issued a minute in the future", () => forgeWithTimes((n) => ({ iat: n + 60, exp: n + 60 + TTL }))],
        ["was issued an hour in the future", () => forgeWithTimes((n) => ({ iat: n + 3600, exp: n + 3600 + TTL }))],
        ["lives ten years", () => forgeWithTimes((n) => ({ iat: n, exp: n + 10 * 365 * 86_400 }))],
        ["lives one second longer than the TTL", () => forgeWithTimes((n) => ({ iat: n - 60, exp: n - 60 + TTL + 1 }))],
        ["is not valid before a minute from now", () => forgeWithTimes((n) => ({ nbf: n + 60 }))],
      ])("answers UNAUTHENTICATED when the token %s", async (_, token) => {
        await expect(profileClient(t, await token()).getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
      });

      it.each<[string, () => Promise<string>]>([
        ["was issued 5 s in the future, within the clock tolerance", () => forgeWithTimes((n) => ({ iat: n + 5, exp: n + 5 + TTL }))],
        ["was issued almost a TTL ago", () => forgeWithTimes((n) => ({ iat: n - TTL + 60, exp: n + 60 }))],
        ["has an nbf already reached", () => forgeWithTimes((n) => ({ nbf: n - 1 }))],
        ["has an nbf 5 s ahead, within the clock tolerance", () => forgeWithTimes((n) => ({ nbf: n + 5 }))],
      ])("accepts a token that %s", async (_, token) => {
        await expect(profileClient(t, await token()).getProfile({})).resolves.toMatchObject({ userId: user.userId });
      });
    });
  });
});
