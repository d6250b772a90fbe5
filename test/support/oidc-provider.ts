import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from "jose";
import { uniqueEmail } from "./factories.js";

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export interface ProviderSpec {
  name: "GOOGLE" | "APPLE" | "ENTERPRISE";
  issuer: string;
  audience: string;
  alg: "RS256" | "ES256";
  kid: string;
}

/** TestIdentityProvider signs id tokens the way the provider would. */
export interface TestIdentityProvider extends ProviderSpec {
  keys: KeyPair;
  /** idToken signs a valid id token; claims override any claim, options the key and header alg. */
  idToken(claims?: JWTPayload, options?: { key?: KeyPair["privateKey"]; alg?: string }): Promise<string>;
}

/** LocalIdentityProviders serves the providers' JWKS on 127.0.0.1 and configures the service for them. */
export interface LocalIdentityProviders {
  providers: Record<string, TestIdentityProvider>;
  /** The OIDC_PROVIDERS value that points the service at these providers. */
  oidcProvidersEnv: string;
  close(): Promise<void>;
}

export async function startIdentityProviders(specs: ProviderSpec[]): Promise<LocalIdentityProviders> {
  const published: Record<string, { keys: JWK[] }> = {};
  const providers: Record<string, TestIdentityProvider> = {};
  for (const spec of specs) {
    const keys = await generateKeyPair(spec.alg);
    published[`/${spec.name.toLowerCase()}/jwks`] = { keys: [{ ...(await exportJWK(keys.publicKey)), kid: spec.kid, alg: spec.alg, use: "sig" }] };
    providers[spec.name] = {
      ...spec,
      keys,
      idToken(claims = {}, options = {}) {
        const now = Math.floor(Date.now() / 1000);
        return new SignJWT({ iss: spec.issuer, aud: spec.audience, sub: randomUUID(), email: uniqueEmail("oidc"), email_verified: true, iat: now, exp: now + 600, ...claims })
          .setProtectedHeader({ alg: options.alg ?? spec.alg, kid: spec.kid, typ: "JWT" })
          .sign(options.key ?? keys.privateKey);
      },
    };
  }
  const server = createServer((req, res) => {
    const body = published[req.url ?? ""];
    res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const config = Object.fromEntries(
    specs.map((s) => [s.name, { issuer: s.issuer, audience: s.audience, jwksUri: `http://127.0.0.1:${port}/${s.name.toLowerCase()}/jwks` }]),
  );
  return {
    providers,
    oidcProvidersEnv: JSON.stringify(config),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
