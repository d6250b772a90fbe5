// Verifying user-service access tokens in another service, offline: the public keys come from
// GET /.well-known/jwks.json (fetched once, cached, refetched when a token names an unknown key),
// and nothing else is called per request. test/docs/operator-guide.test.ts runs this file.
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";

/** Caller is who an access token speaks for. */
export interface Caller {
  userId: string;
  sessionId: string;
  /** How the user signed in, such as ["pwd", "otp"]. */
  authenticationMethods: string[];
}

/** accessTokenVerifier returns a function that checks an access token and says whose it is. */
export function accessTokenVerifier(options: { jwksUrl: string; issuer: string; audience: string }) {
  const keys = createRemoteJWKSet(new URL(options.jwksUrl));
  return async (token: string): Promise<Caller> => {
    const { payload } = await jwtVerify<JWTPayload & { sid?: string; amr?: string[] }>(token, keys, {
      issuer: options.issuer,
      audience: options.audience,
      typ: "at+jwt", // RFC 9068: refuses an ID token or any other JWT signed by the same keys
      algorithms: ["EdDSA", "ES256"], // never let the token choose its own algorithm
    });
    if (!payload.sub || !payload.sid) throw new Error("not a user-service access token");
    return { userId: payload.sub, sessionId: payload.sid, authenticationMethods: payload.amr ?? [] };
  };
}
