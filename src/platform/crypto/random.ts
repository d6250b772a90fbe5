import { createHash, randomBytes, randomUUID } from "node:crypto";

/** newId returns a random UUID (v4). */
export function newId(): string {
  return randomUUID();
}

/** randomToken returns `bytes` random bytes as base64url: for bearer secrets such as refresh tokens. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** sha256 hashes a secret for storage and lookup; secrets with 256 bits of entropy need no salt. */
export function sha256(value: string | Buffer): Buffer {
  return createHash("sha256").update(value).digest();
}

