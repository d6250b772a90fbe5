import { createHash } from "node:crypto";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Counter, type Registry } from "prom-client";
import type { Db } from "../../db/database.js";
import { transaction } from "../../db/transaction.js";
import type { IdentityTokenRejected } from "../../platform/identity-tokens.js";
import type { Logger } from "../../platform/logger.js";
import { LimitExceeded, type Limiter } from "../../platform/rate-limits.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import { Semaphore } from "../../shared/semaphore.js";
import type { AuditEvent, AuditLog } from "../audit/index.js";

/**
 * SignInScope names a budget sign-in attempts are counted against: the client address across
 * accounts, an account from one address, an account from one device that signed in to it before,
 * and an account from every unknown device together.
 */
export type SignInScope = "ip" | "account_address" | "account_device" | "account";

/** SignInPolicy is each budget's limiter and how attempts slow down before a budget runs out. */
export interface SignInPolicy {
  limits: Record<SignInScope, Limiter>;
  /** Attempts of a budget answered at full speed; each later one waits twice as long as the one before. */
  slowdownAfter: number;
  /** The first wait; 0 turns slowing down off. */
  slowdownBaseMs: number;
}

/** SignInThrottleDependencies is the policy plus where lockouts and failures are reported. */
export interface SignInThrottleDependencies extends SignInPolicy {
  db: Db;
  audit: AuditLog;
  log: Logger;
  metrics: Registry;
}

/** SignInAttempt is one sign-in as the throttle sees it. */
export interface SignInAttempt {
  origin: RequestOrigin;
  /** The normalized e-mail of a password sign-in; federated sign-ins count against the address only. */
  email?: string;
  /** The account's id, when the e-mail names one. */
  userId?: string;
  /** The request's device id, when it has signed in to this account before. */
  knownDeviceId?: string;
}

/** SignInFailure is why a sign-in failed, as logged and counted. */
export type SignInFailure = "unknown_account" | "wrong_password" | "account_not_active" | "identity_not_registered" | IdentityTokenRejected["reason"];

/** MAX_SLOWDOWN_MS bounds one attempt's wait, whatever the count. */
const MAX_SLOWDOWN_MS = 4_000;

/** slowdownMs is how long the n-th attempt of a budget in its window waits before its password is checked. */
export function slowdownMs(n: number, after: number, baseMs: number): number {
  return n <= after ? 0 : Math.min(baseMs * 2 ** (n - after - 1), MAX_SLOWDOWN_MS);
}

/**
 * addressKey is what a client address is counted as. An IPv6 subscriber usually holds a whole /64
 * and can pick any address in it, so IPv6 addresses count by their /64 network.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return "unknown";
  if (!net.isIPv6(address)) return address;
  const [head = "", tail = ""] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = [...left, ...Array<string>(Math.max(8 - left.length - right.length, 0)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(":")}::/64`;
}

// A short hash names an unknown account in logs without writing the e-mail (personal data) in clear.
const emailHash = (email: string) => createHash("sha256").update(email).digest("hex").slice(0, 16);

/** ownBudget is the budget an attempt on an account counts against besides the address's. */
function ownBudget(attempt: SignInAttempt, address: string): { scope: "account_address" | "account_device"; key: string } | undefined {
  if (attempt.email === undefined) return undefined;
  if (attempt.userId && attempt.knownDeviceId) return { scope: "account_device", key: `${attempt.userId}|${attempt.knownDeviceId}` };
  return { scope: "account_address", key: `${attempt.email}|${address}` };
}

/**
 * SignInThrottle is the sign-in lockout policy (see README, "Sign-in lockout policy"). Attempts
 * are counted before their credential is checked, so concurrent guesses cannot slip past; an
 * address locked out of an account cannot use up the account's shared budget, and a device that
 * signed in before keeps a budget of its own, so an attacker cannot lock the owner out. Failed
 * sign-ins and lockouts are logged, counted in metrics and written to the audit trail.
 */
export class SignInThrottle {
  private readonly records = new Semaphore(4);
  private readonly failures: Counter<"reason">;
  private readonly lockouts: Counter<"scope">;

  constructor(private readonly deps: SignInThrottleDependencies) {
    this.failures = new Counter({ name: "auth_login_failures_total", help: "Failed sign-ins, by reason.", labelNames: ["reason"], registers: [deps.metrics] });
    this.lockouts = new Counter({
      name: "auth_lockouts_total",
      help: "Sign-in budgets run out, once per key and window, by scope.",
      labelNames: ["scope"],
      registers: [deps.metrics],
    });
  }

  /**
   * admit counts an attempt against its budgets, then holds it back as long as its own budget's
   * count calls for, and returns how many attempts that budget counted before this one: failures
   * all, since a success forgets them. It throws LimitExceeded when a budget is exhausted.
   */
  async admit(attempt: SignInAttempt): Promise<number> {
    const address = addressKey(attempt.origin.ipAddress);
    await this.take("ip", address, attempt);
    const own = ownBudget(attempt, address);
    if (!own) return 0;
    const n = await this.take(own.scope, own.key, attempt);
    // Only attempts within their own budget reach the account's: an address that keeps knocking once
    // locked out cannot use up what every other address shares. Known devices never draw on it.
    if (own.scope === "account_address") await this.take("account", attempt.email!, attempt);
    const wait = slowdownMs(n, this.deps.slowdownAfter, this.deps.slowdownBaseMs);
    // Called before the password check: the wait holds no password-hash slot and no database connection.
    if (wait > 0) await sleep(wait);
    return n - 1;
  }

  /** succeeded gives a successful attempt's counts back and forgets its own budget's failures. */
  async succeeded(attempt: SignInAttempt): Promise<void> {
    const { limits } = this.deps;
    const address = addressKey(attempt.origin.ipAddress);
    const own = ownBudget(attempt, address);
    await Promise.all([
      limits.ip.refund(address),
      own && limits[own.scope].reset(own.key),
      // Only this attempt's point: the owner signing in must not hand a distributed attacker a fresh budget.
      own?.scope === "account_address" && limits.account.refund(attempt.email!),
    ]);
  }

  /** failed logs and counts a failed sign-in; a wrong password of an existing account is audited. */
  failed(attempt: SignInAttempt, reason: SignInFailure): void {
    this.failures.inc({ reason });
    this.deps.log.warn({ ...describe(attempt), reason }, "sign-in failed");
    if (attempt.userId && reason === "wrong_password") {
      this.record({ actorUserId: null, action: "auth.login_failed", resourceType: "user", resourceId: attempt.userId, origin: attempt.origin });
    }
  }

  private async take(scope: SignInScope, key: string, attempt: SignInAttempt): Promise<number> {
    try {
      return await this.deps.limits[scope].consume(key);
    } catch (error) {
      if (error instanceof LimitExceeded && error.first) this.lockedOut(scope, attempt, error);
      throw error;
    }
  }

  // Reported once per key and window, on the refusal that crossed the limit: hammering a locked
  // budget adds nothing to the audit trail.
  private lockedOut(scope: SignInScope, attempt: SignInAttempt, error: LimitExceeded): void {
    const retryAfterSeconds = Math.ceil(error.retryAfterMs / 1000);
    this.lockouts.inc({ scope });
    this.deps.log.warn({ ...describe(attempt), scope, retryAfterSeconds }, "sign-in locked out");
    if (attempt.userId) {
      this.record({
        actorUserId: null,
        action: "auth.lockout",
        resourceType: "user",
        resourceId: attempt.userId,
        newValues: { scope, retryAfterSeconds },
        origin: attempt.origin,
      });
    }
  }

  // Recorded off the response path so a failed sign-in of a real account takes as long as an unknown
  // one; a few at a time, so a burst of failures cannot take every database connection.
  private record(event: AuditEvent): void {
    this.records
      .run(() => transaction(this.deps.db, (trx) => this.deps.audit.record(trx, event)))
      .catch((error: unknown) => this.deps.log.error({ err: error, action: event.action, userId: event.resourceId }, "could not record a sign-in event"));
  }
}

/** describe is what log lines say of an attempt: never the password, nor the e-mail in clear. */
function describe(attempt: SignInAttempt) {
  const account = attempt.userId ? { userId: attempt.userId } : attempt.email !== undefined ? { emailHash: emailHash(attempt.email) } : {};
  return { ipAddress: attempt.origin.ipAddress, requestId: attempt.origin.requestId, ...account };
}
