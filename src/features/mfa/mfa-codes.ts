import { Counter, type Registry } from "prom-client";
import type { DbOrTx } from "../../db/database.js";
import type { FieldCipher } from "../../platform/crypto/field-cipher.js";
import type { Limiter } from "../../platform/rate-limits.js";
import { claimTotpStep, sealedContext, type JudgingMethod, type MfaMethodRow } from "./mfa.repository.js";
import { acceptedTotpStep } from "./totp.js";

/** CodeMethod is the method a code was given for, as counted in mfa_failures_total. */
export type CodeMethod = "totp" | "sms" | "backup_code";

/**
 * CodeGuard is what every second-factor code passes: a per-user budget of attempts taken before the
 * code is checked (so concurrent guesses cannot slip past it) and given back when the code was
 * right, and the mfa_failures_total counter.
 */
export class CodeGuard {
  private readonly failures: Counter<"method">;

  constructor(
    private readonly attempts: Limiter,
    metrics: Registry,
  ) {
    this.failures = new Counter({ name: "mfa_failures_total", help: "Wrong second-factor codes, by method.", labelNames: ["method"], registers: [metrics] });
  }

  /**
   * judge takes an attempt from the user's budget (LimitExceeded when it is spent: the user is
   * locked out of second factors until the window ends), runs check, and gives the attempt back
   * when the code was right (or check threw) or counts the failure when it was not.
   */
  async judge(userId: string, method: CodeMethod, check: () => Promise<boolean>): Promise<boolean> {
    await this.take(userId);
    let right: boolean;
    try {
      right = await check();
    } catch (error) {
      // No code was judged (no such method, a fault): the attempt was not a guess.
      await this.giveBack(userId);
      throw error;
    }
    if (right) await this.giveBack(userId);
    else this.failed(method);
    return right;
  }

  /** take takes one attempt from the user's budget before a code is checked; LimitExceeded when it is spent. */
  take(userId: string): Promise<number> {
    return this.attempts.consume(userId);
  }

  /** giveBack returns the attempt of a code that was right, or was never judged. */
  giveBack(userId: string): Promise<void> {
    return this.attempts.refund(userId);
  }

  /** failed counts a wrong code in mfa_failures_total. */
  failed(method: CodeMethod): void {
    this.failures.inc({ method });
  }
}

/** openPhone opens an SMS method's phone number. */
export function openPhone(cipher: FieldCipher, method: MfaMethodRow): string {
  return cipher.open(method.phone_sealed!, sealedContext("phone_sealed", method.id));
}

/**
 * checkTotp opens the method's secret and accepts code once: the time step it matched is claimed
 * in the same statement that checks no code of that step or later was accepted before, so a code
 * replayed on this or any other replica fails. Pending methods (not yet claimable) only check.
 */
export async function checkTotp(db: DbOrTx, cipher: FieldCipher, method: JudgingMethod, code: string, now: Date): Promise<number | undefined> {
  const secret = cipher.open(method.secret_sealed!, sealedContext("secret_sealed", method.id));
  const last = method.last_accepted_step === null ? undefined : Number(method.last_accepted_step);
  const step = await acceptedTotpStep(secret, code, now, last);
  if (step === undefined) return undefined;
  if (method.status === "active" && !(await claimTotpStep(db, method.id, step, now))) return undefined;
  return step;
}
