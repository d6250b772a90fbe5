import { Counter, type Registry } from "prom-client";
import type { Db, DbOrTx, Tx } from "../../db/database.js";
import { transaction } from "../../db/transaction.js";
import type { FieldCipher } from "../../platform/crypto/field-cipher.js";
import * as errors from "./mfa.errors.js";
import { claimTotpStep, countCodeFailure, lockCodeBudget, sealedContext, type CodeBudget, type JudgingMethod, type MfaMethodRow } from "./mfa.repository.js";
import { acceptedTotpStep } from "./totp.js";

/** CodeMethod is the method a code was given for, as counted in mfa_failures_total. */
export type CodeMethod = "totp" | "sms" | "backup_code";

/** CodeBudgetLimits size a user's budget of wrong codes: failuresPerUser per windowSeconds. */
export interface CodeBudgetLimits {
  failuresPerUser: number;
  windowSeconds: number;
}

/**
 * CodeGuard is what every second-factor code passes: the user's budget of wrong codes per window,
 * kept in Postgres and locked by the transaction that judges a code (lockCodeBudget, or the
 * challenge claim), so concurrent codes of one user on any replica are judged one at a time and
 * none slips past a spent budget; and the mfa_failures_total counter. A right code leaves the
 * budget as it was.
 */
export class CodeGuard {
  private readonly failures: Counter<"method">;

  constructor(
    private readonly limits: CodeBudgetLimits,
    metrics: Registry,
  ) {
    this.failures = new Counter({ name: "mfa_failures_total", help: "Wrong second-factor codes, by method.", labelNames: ["method"], registers: [metrics] });
  }

  /** windowEndedBefore is the start of a window that has ended by now: a budget read with it counts from zero again. */
  windowEndedBefore(now: Date): Date {
    return new Date(now.getTime() - this.limits.windowSeconds * 1000);
  }

  /** admit refuses a code while the user's budget, read under its lock, is spent: mfa_locked until the window ends. */
  admit(budget: CodeBudget, now: Date): void {
    if (budget.failures < this.limits.failuresPerUser) return;
    throw errors.mfaLocked(budget.windowStartedAt.getTime() + this.limits.windowSeconds * 1000 - now.getTime());
  }

  /**
   * judge runs check in a transaction that holds the user's budget: refused while it is spent, and
   * a wrong code (check answers false) counted before the budget is let go. A check that throws
   * rolls everything back: no code was judged.
   */
  judge(db: Db, userId: string, method: CodeMethod, now: Date, check: (trx: Tx) => Promise<boolean>): Promise<boolean> {
    return transaction(db, async (trx) => {
      this.admit(await lockCodeBudget(trx, userId, this.windowEndedBefore(now)), now);
      const right = await check(trx);
      if (!right) await this.failed(trx, userId, method, now);
      return right;
    });
  }

  /** failed counts a wrong code in the budget trx holds, and in mfa_failures_total. */
  async failed(trx: Tx, userId: string, method: CodeMethod, now: Date): Promise<void> {
    await countCodeFailure(trx, userId, now);
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
