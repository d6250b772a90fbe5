import { randomBytes } from "node:crypto";
import { sha256 } from "../../platform/crypto/random.js";

/** BACKUP_CODE_COUNT is how many backup codes a set holds. */
export const BACKUP_CODE_COUNT = 10;

// Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand stays unambiguous.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CHARACTERS = 16; // 16 × 5 bits = 80 bits each

/** newBackupCodes makes a set of codes of 80 random bits each, shown as XXXX-XXXX-XXXX-XXXX. */
export function newBackupCodes(): string[] {
  return Array.from({ length: BACKUP_CODE_COUNT }, () => {
    // 10 random bytes are exactly 16 five-bit groups.
    const bytes = randomBytes(10);
    let bits = 0n;
    for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
    const characters = Array.from({ length: CHARACTERS }, (_, i) => ALPHABET[Number((bits >> BigInt(5 * (CHARACTERS - 1 - i))) & 31n)]).join("");
    return characters.match(/.{4}/g)!.join("-");
  });
}

/**
 * backupCodeHash is what is stored of a code: SHA-256 of its canonical form (upper case, no
 * separators, the letters Crockford's base32 reads as digits mapped to them), so a code typed in
 * lower case, with spaces, or with an O for a 0 still matches. 80 bits make a salt unnecessary.
 */
export function backupCodeHash(code: string): Buffer {
  const canonical = code
    .toUpperCase()
    .replace(/[\s-]/g, "")
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
  return sha256(canonical);
}
