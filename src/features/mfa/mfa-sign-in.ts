import { timingSafeEqual } from "node:crypto";
import type { Db, Tx } from "../../db/database.js";
import { transaction } from "../../db/transaction.js";
import type { Clock } from "../../platform/clock.js";
import type { FieldCipher } from "../../platform/crypto/field-cipher.js";
import { sha256 } from "../../platform/crypto/random.js";
import type { Logger } from "../../platform/logger.js";
import type { DomainError } from "../../shared/domain-error.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import type { AuditLog } from "../audit/index.js";
import { invalidMfaChallenge, invalidMfaCode, type FirstFactorContext, type SecondFactor, type SecondFactorAnswer, type SecondFactorChallenge, type SecondFactorMethod } from "../auth/index.js";
import type { IssuedTokens, SessionGrant } from "../sessions/index.js";
import { backupCodeHash } from "./backup-codes.js";
import { checkTotp, openPhone, type CodeGuard } from "./mfa-codes.js";
import type { SmsCodes } from "./sms-codes.js";
import * as errors from "./mfa.errors.js";
import {
  claimChallenge,
  findActiveMethodOfKind,
  openChallenge,
  reopenChallenge,
  spendBackupCode,
  type JudgingMethod,
  type MfaChallengeRow,
} from "./mfa.repository.js";

/** CHALLENGE_TTL_MS is how long a challenge may be answered. */
const CHALLENGE_TTL_MS = 5 * 60 * 1000;

/** CHALLENGE_ATTEMPTS is how many wrong codes end a challenge; the client then signs in again. */
const CHALLENGE_ATTEMPTS = 5;

/** The RFC 8176 amr value each method adds to the session. Backup codes are one-time passwords too. */
const AMR: Record<SecondFactorMethod, string> = { totp: "otp", sms: "sms", backup_code: "otp" };

/**
 * clientBinding is what ties a challenge to the client that started it: a hash of the address and
 * user agent the call came from, as the transport saw them.
 */
function clientBinding(origin: RequestOrigin): Buffer {
  return sha256(JSON.stringify([origin.ipAddress ?? "", origin.userAgent ?? ""]));
}

/** grantOf is the session a completed challenge opens: its first factor and this one, for the client that started it. */
function grantOf(challenge: MfaChallengeRow, answer: SecondFactorAnswer): SessionGrant {
  return {
    userId: challenge.user_id,
    amr: [...challenge.first_factor, AMR[answer.method]],
    device: {
      deviceId: challenge.device_id ?? undefined,
      deviceName: challenge.device_name ?? undefined,
      userAgent: challenge.user_agent ?? undefined,
      appVersion: challenge.app_version ?? undefined,
    },
    origin: answer.origin,
    risk: { score: challenge.risk_score, factors: challenge.risk_factors },
  };
}

/** MfaSignInDependencies are what the second step of sign-in needs. */
export interface MfaSignInDependencies {
  db: Db;
  clock: Clock;
  cipher: FieldCipher;
  audit: AuditLog;
  codes: CodeGuard;
  sms: SmsCodes;
  log: Logger;
  /** A sign-in this risky needs the second factor even from a trusted device (MFA_STEP_UP_RISK). */
  stepUpRisk: number;
}

/**
 * MfaSignIn is the second-factor policy of sign-in: a user with an active method is challenged
 * instead of getting a session, and the session opens once a code of one of the offered methods
 * answers the challenge. A challenge is single use, lives five minutes, is bound to the client that
 * started it and takes five wrong codes; every wrong code also counts against the user's code budget.
 */
export class MfaSignIn implements SecondFactor {
  constructor(private readonly deps: MfaSignInDependencies) {}

  /**
   * challenge holds back a sign-in of a user with an active method, offering their methods and
   * backup codes, unless it comes from a device the user trusts (TrustDevice) and does not look
   * risky (below MFA_STEP_UP_RISK, and the user's risk asks for no step-up). The challenge is
   * stored by the statement that finds whether the user has a method at all.
   */
  async challenge(grant: SessionGrant, { stepUp, trustedDevice }: FirstFactorContext): Promise<SecondFactorChallenge | undefined> {
    const { db, clock, stepUpRisk } = this.deps;
    const risky = stepUp || (grant.risk?.score ?? 0) >= stepUpRisk;
    if (trustedDevice && !risky) return undefined;
    const now = clock.now();
    const { device } = grant;
    const opened = await openChallenge(db, {
      user_id: grant.userId,
      first_factor: grant.amr,
      client_binding: clientBinding(grant.origin),
      device_id: device.deviceId || null,
      device_name: device.deviceName || null,
      user_agent: device.userAgent || null,
      app_version: device.appVersion || null,
      ip_address: grant.origin.ipAddress ?? null,
      risk_score: grant.risk?.score ?? 0,
      risk_factors: JSON.stringify(grant.risk?.factors ?? []),
      created_at: now,
      expires_at: new Date(now.getTime() + CHALLENGE_TTL_MS),
    });
    if (!opened) return undefined;
    const methods = opened.methods as SecondFactorMethod[];
    if (methods.includes("sms")) await this.textCode(grant.userId, opened.id, grant.origin);
    return { challengeId: opened.id, methods };
  }

  /**
   * textCode sends the user's SMS method a code for the challenge. A text that cannot be sent (its
   * budget spent, the gateway down) is logged and the challenge stands: the user may answer with
   * another method.
   */
  private async textCode(userId: string, challengeId: string, origin: RequestOrigin): Promise<void> {
    const { db, cipher, sms, log } = this.deps;
    const method = await findActiveMethodOfKind(db, userId, "sms");
    if (!method) return; // removed since the challenge was opened
    const phone = openPhone(cipher, method);
    try {
      await sms.reserve(userId, phone);
      await sms.deliver(phone, await sms.issue(db, method.id, challengeId));
    } catch (error) {
      log.warn({ err: error, userId, challengeId, requestId: origin.requestId }, "no SMS code sent for a sign-in challenge");
    }
  }

  /**
   * complete judges a code against the challenge in one transaction: the challenge is claimed and
   * the user's code budget locked (a spent one refuses the code), and a right code opens the session
   * in the same transaction, with both factors in its amr. A wrong one reopens the challenge with
   * one failure more (five end it), is counted in the budget and mfa_failures_total, and is audited.
   */
  async complete(answer: SecondFactorAnswer, open: (trx: Tx, grant: SessionGrant) => Promise<IssuedTokens>): Promise<IssuedTokens> {
    const { db, clock, audit, codes } = this.deps;
    const now = clock.now();
    let refusal: DomainError | undefined;
    const tokens = await transaction(db, async (trx) => {
      const claim = await claimChallenge(trx, {
        challengeId: answer.challengeId,
        now,
        maxFailures: CHALLENGE_ATTEMPTS,
        kind: answer.method === "backup_code" ? null : answer.method,
        budgetWindowEndedBefore: codes.windowEndedBefore(now),
      });
      const challenge = claim?.challenge;
      // Throwing rolls the claim back: the challenge stays as it was.
      if (!challenge || !timingSafeEqual(challenge.client_binding, clientBinding(answer.origin))) throw invalidMfaChallenge();
      if (!challenge.methods.includes(answer.method)) throw errors.mfaTypeNotOffered();
      const userId = challenge.user_id;
      codes.admit(claim.budget, now);
      if (await this.codeIsRight(trx, userId, claim.method, answer, now)) return open(trx, grantOf(challenge, answer));
      const failures = await reopenChallenge(trx, challenge.id);
      await codes.failed(trx, userId, answer.method, now);
      await audit.record(trx, {
        actorUserId: userId,
        action: "auth.mfa_failed",
        resourceType: "user",
        resourceId: userId,
        newValues: { method: answer.method, challengeId: challenge.id, challengeEnded: failures >= CHALLENGE_ATTEMPTS },
        origin: answer.origin,
        complianceRelevant: true,
      });
      refusal = failures >= CHALLENGE_ATTEMPTS ? errors.challengeAttemptsExhausted() : invalidMfaCode();
      return undefined;
    });
    if (refusal || !tokens) throw refusal ?? invalidMfaCode();
    return tokens;
  }

  /** codeIsRight checks the code with the method it claims to be from (the user's method of that kind), spending it when right. */
  private async codeIsRight(trx: Tx, userId: string, method: JudgingMethod | undefined, answer: SecondFactorAnswer, now: Date): Promise<boolean> {
    if (answer.method === "backup_code") return spendBackupCode(trx, userId, backupCodeHash(answer.code), now);
    if (!method || method.status !== "active") return false;
    if (answer.method === "totp") return (await checkTotp(trx, this.deps.cipher, method, answer.code, now)) !== undefined;
    return this.deps.sms.spend(trx, method.id, answer.challengeId, answer.code);
  }
}
