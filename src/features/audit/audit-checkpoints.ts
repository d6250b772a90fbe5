import { CompactSign, compactVerify, createLocalJWKSet, type JSONWebKeySet } from "jose";
import type { SigningKey } from "../../platform/crypto/access-tokens.js";
import { sha256 } from "../../platform/crypto/random.js";

/** CHECKPOINT_TYPE is the JWS `typ` of an audit checkpoint. */
export const CHECKPOINT_TYPE = "audit-checkpoint+json";

/** SignedHead is a lane head as a checkpoint signed it: the lane, its entry's seq and hash (hex). */
export type SignedHead = [lane: string, seq: string, hash: string];

/**
 * CheckpointPayload is what a checkpoint signs: the heads of the lanes that moved since the
 * checkpoint before it, and that checkpoint's digest, so the checkpoints form a chain of their own
 * and none can be removed from the middle unnoticed. A checkpoint written when old months of the
 * trail are dropped signs instead, in `cut`, each lane's last entry that goes: the lane's chain is
 * then checked from the entry after it.
 */
export interface CheckpointPayload {
  iss: string;
  iat: number;
  prev: string | null;
  heads: SignedHead[];
  cut?: SignedHead[];
}

/** checkpointDigest is how the next checkpoint names this one (base64url SHA-256 of the JWS). */
export function checkpointDigest(jws: string): string {
  return sha256(jws).toString("base64url");
}

/** CheckpointKey is the key checkpoints are signed with: the service's access-token signing key. */
export type CheckpointKey = Pick<SigningKey, "privateKey" | "alg" | "kid">;

/** signCheckpoint signs a checkpoint as a compact JWS that anyone holding the service's JWKS can verify. */
export function signCheckpoint(key: CheckpointKey, payload: CheckpointPayload): Promise<string> {
  return new CompactSign(Buffer.from(JSON.stringify(payload), "utf8"))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: CHECKPOINT_TYPE })
    .sign(key.privateKey);
}

/** LanePoint is an entry of a lane a checkpoint signed: its seq and hash (hex). */
export interface LanePoint {
  seq: bigint;
  hash: string;
}

/** CheckpointReading is what a sequence of checkpoints vouches for. */
export interface CheckpointReading {
  /** The highest signed head of every lane any checkpoint names. */
  heads: Map<string, LanePoint>;
  /** The last entry dropped of every lane the retention cut, if any: the lane goes on from the entry after it. */
  cuts: Map<string, LanePoint>;
  /** How many checkpoints verified. */
  count: number;
  /** The position (from 0) of the first checkpoint that does not verify or does not chain to the one before; undefined if all do. */
  invalidAt?: number;
}

/**
 * readCheckpoints verifies checkpoints, oldest first, against a JWKS (the service's published keys)
 * and folds the heads they sign: a sequence from the very first checkpoint, or from any one on. It stops at the first one forged, altered or out of the chain.
 */
export async function readCheckpoints(checkpoints: readonly string[], jwks: JSONWebKeySet, from: "first" | "any" = "first"): Promise<CheckpointReading> {
  const keys = createLocalJWKSet(jwks);
  const heads = new Map<string, LanePoint>();
  const cuts = new Map<string, LanePoint>();
  // From "any" checkpoint (an export's), the first one's predecessor is not at hand to compare with.
  let prev: string | null | undefined = from === "first" ? null : undefined;
  for (const [index, jws] of checkpoints.entries()) {
    const payload = await verifiedPayload(jws, keys);
    if (!payload || (prev !== undefined && payload.prev !== prev)) return { heads, cuts, count: index, invalidAt: index };
    foldHighest(heads, payload.heads);
    foldHighest(cuts, payload.cut ?? []);
    prev = checkpointDigest(jws);
  }
  return { heads, cuts, count: checkpoints.length };
}

/** foldHighest keeps, per lane, the highest of the points known and the ones signed. */
function foldHighest(points: Map<string, LanePoint>, signed: readonly SignedHead[]): void {
  for (const [lane, seq, hash] of signed) {
    const known = points.get(lane);
    if (!known || BigInt(seq) > known.seq) points.set(lane, { seq: BigInt(seq), hash });
  }
}

async function verifiedPayload(jws: string, keys: ReturnType<typeof createLocalJWKSet>): Promise<CheckpointPayload | undefined> {
  try {
    const { payload, protectedHeader } = await compactVerify(jws, keys, { algorithms: ["EdDSA", "ES256"] });
    if (protectedHeader.typ !== CHECKPOINT_TYPE) return undefined;
    const parsed = JSON.parse(Buffer.from(payload).toString("utf8")) as CheckpointPayload;
    return Array.isArray(parsed.heads) && (parsed.cut === undefined || Array.isArray(parsed.cut)) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** signedPayload reads what a checkpoint signs without checking the signature: for finding checkpoints, never for trusting them. */
export function signedPayload(jws: string): CheckpointPayload {
  return JSON.parse(Buffer.from(jws.split(".")[1] ?? "", "base64url").toString("utf8")) as CheckpointPayload;
}
