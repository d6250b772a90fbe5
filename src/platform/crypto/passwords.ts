import { hash, verify } from "@node-rs/argon2";
import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import { adjacencyGraphs, dictionary } from "@zxcvbn-ts/language-common";
import { Semaphore } from "../../shared/semaphore.js";

/** A hash of a random password, verified against when the account does not exist so both paths cost the same. */
const UNKNOWN_ACCOUNT_HASH =
  "$argon2id$v=19$m=19456,t=2,p=1$DZedVcURxQoar8eJPyNgJw$NuzR2S1sUGBAnrx5TY1XMFk70imd47HkfdkI1xRHQiw";

/** Minimum zxcvbn score (0–4) a new password needs: 3 means "safely unguessable" to an online attacker. */
const MIN_STRENGTH_SCORE = 3;

const strength = new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
const commonPasswords = new Set(dictionary["passwords-common"]);

/**
 * normalizePassword is the form passwords are checked, hashed and verified in: Unicode NFC (NIST
 * 800-63B 5.1.1.2), so "é" typed as one code point on one keyboard and as "e" plus a combining
 * accent on another is the same password.
 *
 * Hashes are made of the NFC form only, and verify tries only that form. Before this rule a hash was
 * made of whatever the client sent, so a non-NFC password set then no longer verifies; no such
 * hash exists outside development databases (the service has not been released), so verify does
 * not fall back to the raw form. Such a fallback would double the argon2 work of every failed
 * non-NFC attempt, for good.
 */
const normalizePassword = (password: string) => password.normalize("NFC");

/** PasswordProblem says why a new password is refused. */
export type PasswordProblem = "too_short" | "too_long" | "common" | "guessable";

/**
 * passwordProblem checks a new password the NIST 800-63B way: length 12–128 (in characters), not on
 * the common-passwords list, and not easily guessed from dictionary words or the user's own details.
 * No composition rules. The password is judged in NFC, the form it is hashed in.
 */
export function passwordProblem(rawPassword: string, userInputs: string[]): PasswordProblem | undefined {
  const password = normalizePassword(rawPassword);
  const length = [...password].length;
  if (length < 12) return "too_short";
  if (length > 128) return "too_long";
  if (commonPasswords.has(password.toLowerCase())) return "common";
  const words = userInputs.flatMap((input) => input.toLowerCase().split(/[^\p{L}\p{N}]+/u)).filter((w) => w.length >= 3);
  if (strength.check(password, [...userInputs, ...words]).score < MIN_STRENGTH_SCORE) return "guessable";
  // zxcvbn scores the user's own words joined by separators ("Ann.Smith-1990") too kindly: judge
  // what is left once they are taken out.
  const compact = password.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
  const rest = words.sort((a, b) => b.length - a.length).reduce((left, word) => left.split(word).join(""), compact);
  if (rest !== compact && strength.check(rest).score < MIN_STRENGTH_SCORE) return "guessable";
  return undefined;
}

/**
 * PasswordHasher hashes and verifies passwords with argon2id at OWASP's parameters (m=19 MiB, t=2,
 * p=1, the library defaults), at most `concurrency` at a time to bound memory and CPU. Both take
 * the password in NFC (normalizePassword).
 */
export class PasswordHasher {
  private readonly slots: Semaphore;

  constructor(concurrency: number) {
    this.slots = new Semaphore(concurrency);
  }

  hash(password: string): Promise<string> {
    return this.slots.run(() => hash(normalizePassword(password)));
  }

  /** verify checks password against a stored PHC string; with none, it burns the same time and fails. */
  async verify(stored: string | undefined, password: string): Promise<boolean> {
    const matched = await this.slots.run(() => verify(stored ?? UNKNOWN_ACCOUNT_HASH, normalizePassword(password)).catch(() => false));
    return stored !== undefined && matched;
  }
}
