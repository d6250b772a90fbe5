import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { OidcProvider } from "../config.js";
import type { IdentityProviderName } from "../shared/identity-providers.js";

/** VerifiedIdentity is what a valid id token proves. */
export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  email: string;
}

/** IdentityTokenRejected says why an id token was not accepted. */
export class IdentityTokenRejected extends Error {
  constructor(readonly reason: "provider_not_configured" | "provider_unreachable" | "invalid_id_token" | "email_not_verified") {
    super(reason);
    this.name = "IdentityTokenRejected";
  }
}

/** keySetUnavailable tells a provider whose key set cannot be fetched from a token that is bad. */
function keySetUnavailable(error: unknown): boolean {
  return (
    error instanceof errors.JWKSTimeout ||
    (error as { name?: unknown } | null)?.name === "TypeError" || // fetch failed (refused, reset, DNS); may come from another realm
    (error instanceof errors.JOSEError && error.code === "ERR_JOSE_GENERIC") // not 200, or not a key set
  );
}

/**
 * IdentityTokens verifies OpenID Connect id tokens from the configured providers against their
 * JWKS (fetched and cached by jose), with algorithms pinned to asymmetric ones.
 */
export class IdentityTokens {
  private readonly keySets = new Map<IdentityProviderName, JWTVerifyGetKey>();

  constructor(private readonly providers: Partial<Record<IdentityProviderName, OidcProvider>>) {
    for (const [name, provider] of Object.entries(providers) as Array<[IdentityProviderName, OidcProvider]>) {
      this.keySets.set(name, createRemoteJWKSet(new URL(provider.jwksUri), { timeoutDuration: 5_000, cooldownDuration: 30_000 }));
    }
  }

  async verify(providerName: IdentityProviderName, idToken: string, now: Date): Promise<VerifiedIdentity> {
    const provider = this.providers[providerName];
    const keys = this.keySets.get(providerName);
    if (!provider || !keys) throw new IdentityTokenRejected("provider_not_configured");
    const { payload } = await jwtVerify(idToken, keys, {
      issuer: provider.issuer,
      audience: provider.audience,
      algorithms: ["RS256", "ES256", "EdDSA"],
      currentDate: now,
      clockTolerance: 30,
      requiredClaims: ["sub", "exp", "iat"],
    }).catch((error: unknown) => {
      throw new IdentityTokenRejected(keySetUnavailable(error) ? "provider_unreachable" : "invalid_id_token");
    });
    // Apple sends email_verified as the string "true".
    const verified = payload.email_verified === true || payload.email_verified === "true";
    if (typeof payload.email !== "string" || !verified) throw new IdentityTokenRejected("email_not_verified");
    return { issuer: provider.issuer, subject: payload.sub!, email: payload.email };
  }
}
