import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, jwtVerify, SignJWT, type JWK } from "jose";
import { newId } from "./random.js";

/** AccessTokenClaims are the claims the service reads back from a verified access token. */
export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
  amr: string[];
  expiresAt: Date;
}

/** VerificationKey is a public key access tokens are checked with, its JOSE algorithm and key id. */
export interface VerificationKey {
  publicKey: KeyObject;
  alg: "EdDSA" | "ES256";
  kid: string;
  publicJwk: JWK;
}

/** SigningKey is the key pair access tokens are signed with. */
export interface SigningKey extends VerificationKey {
  privateKey: KeyObject;
}

async function verificationKeyFrom(publicKey: KeyObject): Promise<VerificationKey> {
  let alg: VerificationKey["alg"];
  if (publicKey.asymmetricKeyType === "ed25519") alg = "EdDSA";
  else if (publicKey.asymmetricKeyType === "ec" && publicKey.asymmetricKeyDetails?.namedCurve === "prime256v1") alg = "ES256";
  else throw new Error("access-token keys must be Ed25519 or EC P-256");
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { publicKey, alg, kid, publicJwk: { ...jwk, kid, alg, use: "sig" } };
}

/** loadSigningKey reads a PKCS#8 PEM private key (Ed25519 or P-256). */
export async function loadSigningKey(file: string): Promise<SigningKey> {
  const privateKey = createPrivateKey(await fs.readFile(file));
  return { privateKey, ...(await verificationKeyFrom(createPublicKey(privateKey))) };
}

/** loadVerificationKey reads a PEM public key, or the public half of a PEM private key. */
export async function loadVerificationKey(file: string): Promise<VerificationKey> {
  return verificationKeyFrom(createPublicKey(await fs.readFile(file)));
}

/** StoredSigningKey is embedded mode's key, where it is kept and whether this start created it. */
export interface StoredSigningKey {
  key: SigningKey;
  file: string;
  generated: boolean;
}

/**
 * loadOrCreateSigningKey is embedded mode's key: generated once as an Ed25519 key under dataDir,
 * readable by the owner only, and reused on every start so issued tokens stay valid.
 */
export async function loadOrCreateSigningKey(dataDir: string): Promise<StoredSigningKey> {
  const file = path.join(dataDir, "jwt-signing-key.pem");
  try {
    return { key: await loadSigningKey(file), file, generated: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await fs.mkdir(dataDir, { recursive: true });
  const { privateKey } = generateKeyPairSync("ed25519");
  const pem = privateKey.export({ type: "pkcs8", format: "pem" });
  // "wx" fails if another process created the file first; then we read theirs.
  const generated = await fs.writeFile(file, pem, { mode: 0o600, flag: "wx" }).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
      return false;
    },
  );
  return { key: await loadSigningKey(file), file, generated };
}

/** CLOCK_TOLERANCE_SECONDS is how far the clocks of the replicas issuing and checking tokens may differ. */
const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * AccessTokens issues and verifies RFC 9068 JWT access tokens: header typ "at+jwt" with kid, claims
 * iss, aud, sub, sid, client_id, iat, exp, jti, amr. Tokens are signed with the current key; keys
 * being rotated out keep verifying (and stay published) until their last tokens have expired.
 */
export class AccessTokens {
  private readonly verificationKeys: Map<string, VerificationKey>;

  constructor(
    private readonly key: SigningKey,
    previousKeys: VerificationKey[],
    private readonly issuer: string,
    private readonly audience: string,
    readonly ttlSeconds: number,
  ) {
    this.verificationKeys = new Map([key, ...previousKeys].map((k) => [k.kid, k]));
  }

  /** issue signs an access token for a session; `now` pins iat so tests can control time. */
  issue(userId: string, sessionId: string, amr: string[], now: Date): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    // RFC 9068 requires client_id; sign-in is first-party, so the issuing service is the client.
    return new SignJWT({ sid: sessionId, amr, client_id: this.issuer })
      .setProtectedHeader({ alg: this.key.alg, kid: this.key.kid, typ: "at+jwt" })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(userId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.ttlSeconds)
      .setJti(newId())
      .sign(this.key.privateKey);
  }

  /**
   * verify checks signature, algorithm, type, issuer, audience and times; it throws on any failure.
   * Besides expiry, the times must be ones this service would have set: iat not in the future and
   * not older than the TTL, exp at most the TTL after iat, nbf (never set, but honoured) reached.
   * A correctly signed token with other times comes from a replica with a wrong clock or a faulty
   * issuer; refusing it bounds how long any signed token can be used. Clocks may differ by
   * CLOCK_TOLERANCE_SECONDS.
   */
  async verify(token: string, now: Date): Promise<AccessTokenClaims> {
    const { kid } = decodeProtectedHeader(token);
    const key = kid === undefined ? undefined : this.verificationKeys.get(kid);
    if (!key) throw new Error("unknown signing key");
    const { payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [key.alg],
      typ: "at+jwt",
      issuer: this.issuer,
      audience: this.audience,
      currentDate: now,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      // Refuses an iat later than now and one earlier than a token of ours can live (both with the
      // tolerance); jose also refuses an nbf later than now.
      maxTokenAge: this.ttlSeconds,
      requiredClaims: ["sub", "sid", "exp", "iat", "jti"],
    });
    // jose has no bound on the lifetime itself: without this, a token signed with exp years after
    // a current iat would be accepted until then.
    if (payload.exp! - payload.iat! > this.ttlSeconds) throw new Error("token lifetime exceeds the access-token TTL");
    const amr = Array.isArray(payload.amr) ? payload.amr.filter((m): m is string => typeof m === "string") : [];
    if (typeof payload.sid !== "string") throw new Error("sid claim is not a string");
    return { userId: payload.sub!, sessionId: payload.sid, amr, expiresAt: new Date(payload.exp! * 1000) };
  }

  /** jwks is the JSON Web Key Set published at /.well-known/jwks.json. */
  jwks(): { keys: JWK[] } {
    return { keys: [...this.verificationKeys.values()].map((k) => k.publicJwk) };
  }
}
