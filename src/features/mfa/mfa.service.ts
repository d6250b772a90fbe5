import { randomUUID } from "node:crypto";
import type { Db, Tx } from "../../db/database.js";
import type { MfaKindValue } from "../../db/tables/mfa.js";
import { transaction } from "../../db/transaction.js";
import { isUniqueViolation } from "../../db/errors.js";
import type { Clock } from "../../platform/clock.js";
import type { FieldCipher } from "../../platform/crypto/field-cipher.js";
import { sha256 } from "../../platform/crypto/random.js";
import { maskPhone, normalizePhone } from "../../shared/phone.js";
import type { Principal } from "../../shared/principal.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import type { AuditLog } from "../audit/index.js";
import type { ProfileService } from "../profile/index.js";
import type { Onboarding } from "../onboarding/index.js";
import type { Sessions } from "../sessions/index.js";
import { backupCodeHash, newBackupCodes } from "./backup-codes.js";
import { checkTotp, openPhone, type CodeGuard } from "./mfa-codes.js";
import * as errors from "./mfa.errors.js";
import {
  activateMethod,
  countActiveMethods,
  countUnusedBackupCodes,
  deleteBackupCodes,
  deleteMethod,
  deletePendingMethod,
  findMethods,
  insertMethod,
  lockMethodOfKind,
  replaceBackupCodes,
  sealedContext,
} from "./mfa.repository.js";
import type { SmsCodes } from "./sms-codes.js";
import { newTotpEnrolment, type TotpEnrolment } from "./totp.js";

/** STEP_UP_WINDOW_MS is how recent the proof must be that lets a session change MFA. */
const STEP_UP_WINDOW_MS = 10 * 60 * 1000;

/** MfaMethodView is one of a user's second factors as ListMfaMethods shows it. */
export interface MfaMethodView {
  methodId: string;
  kind: MfaKindValue | "backup_code";
  active: boolean;
  /** The phone of an SMS method, all but its last digits hidden. */
  maskedPhone: string;
  remainingBackupCodes: number;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** MfaDependencies are what enrolment needs. */
export interface MfaDependencies {
  db: Db;
  clock: Clock;
  cipher: FieldCipher;
  audit: AuditLog;
  sessions: Sessions;
  profiles: ProfileService;
  codes: CodeGuard;
  sms: SmsCodes;
  /** Hears that the user set up MFA: an automatic onboarding step waits for it. */
  onboarding: Pick<Onboarding, "happened">;
  /** The issuer authenticator apps show beside the account (TOTP_ISSUER). */
  totpIssuer: string;
}

/**
 * backupCodesMethodId is the id ListMfaMethods gives a user's backup codes: stable for the user
 * (so a client can refer to it) and shaped like the other method ids, yet no row's id.
 */
export function backupCodesMethodId(userId: string): string {
  const hex = sha256(`backup-codes:${userId}`).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Mfa enrols and manages a user's second factors: TOTP set-up and activation, backup codes, and
 * removal. Changes need a session that recently proved enough (step-up), and are audited without
 * any secret or code in the audit values.
 */
export class Mfa {
  constructor(private readonly deps: MfaDependencies) {}

  /**
   * setupTotp starts enrolling an authenticator app: a fresh secret, stored sealed, in a pending
   * method that replaces any pending TOTP method. An active one must be removed first.
   */
  async setupTotp(caller: Principal, origin: RequestOrigin): Promise<TotpEnrolment & { methodId: string }> {
    const { cipher, profiles, totpIssuer } = this.deps;
    await this.requireStepUp(caller);
    const { email } = await profiles.get(caller.userId);
    const enrolment = await newTotpEnrolment(totpIssuer, email);
    const methodId = randomUUID();
    await this.addPending(caller, { id: methodId, kind: "totp", secret_sealed: cipher.seal(enrolment.secret, sealedContext("secret_sealed", methodId)) }, {}, origin, async () => undefined);
    return { methodId, ...enrolment };
  }

  /**
   * setupSms starts enrolling a phone: the number is checked against its country's numbering plan,
   * stored sealed in a pending method that replaces any pending SMS method, and sent a code.
   */
  async setupSms(caller: Principal, phoneNumber: string, origin: RequestOrigin): Promise<{ methodId: string; maskedPhone: string }> {
    const { cipher, sms } = this.deps;
    const phone = normalizePhone(phoneNumber);
    if (!phone) throw errors.invalidPhoneNumber();
    await this.requireStepUp(caller);
    await sms.reserve(caller.userId, phone);
    const methodId = randomUUID();
    const maskedPhone = maskPhone(phone);
    const code = await this.addPending(
      caller,
      { id: methodId, kind: "sms", phone_sealed: cipher.seal(phone, sealedContext("phone_sealed", methodId)) },
      { maskedPhone },
      origin,
      (trx) => sms.issue(trx, methodId, null),
    );
    await sms.deliver(phone, code);
    return { methodId, maskedPhone };
  }

  /** addPending stores a new pending method in place of a pending one of its kind, audited, with more work in the same transaction. */
  private async addPending<T>(
    caller: Principal,
    method: { id: string; kind: MfaKindValue; secret_sealed?: string; phone_sealed?: string },
    described: Record<string, string>,
    origin: RequestOrigin,
    more: (trx: Tx) => Promise<T>,
  ): Promise<T> {
    const { db, audit } = this.deps;
    try {
      return await transaction(db, async (trx) => {
        await deletePendingMethod(trx, caller.userId, method.kind);
        await insertMethod(trx, { ...method, user_id: caller.userId, status: "pending" });
        const result = await more(trx);
        await audit.record(trx, {
          actorUserId: caller.userId,
          action: "mfa.setup",
          resourceType: "mfa_method",
          resourceId: method.id,
          newValues: { kind: method.kind, status: "pending", ...described },
          origin,
          complianceRelevant: true,
        });
        return result;
      });
    } catch (error) {
      if (isUniqueViolation(error, "mfa_methods_one_per_kind")) throw errors.mfaMethodExists();
      throw error;
    }
  }

  /**
   * verify activates the caller's pending method of a kind with a right code. The first active
   * method brings a set of backup codes, returned this once. The session counts as having passed a
   * second factor. A wrong code answers false and is counted against the caller's code budget.
   */
  async verify(caller: Principal, kind: MfaKindValue, code: string, origin: RequestOrigin): Promise<{ verified: boolean; backupCodes: string[] }> {
    const { db, clock, cipher, audit, sessions, codes, sms } = this.deps;
    let backupCodes: string[] = [];
    const now = clock.now();
    const verified = await codes.judge(db, caller.userId, kind, now, async (trx) => {
      const method = await lockMethodOfKind(trx, caller.userId, kind);
      if (!method || method.status !== "pending") throw errors.noPendingMethod();
      const step = kind === "totp" ? await checkTotp(trx, cipher, method, code, now) : undefined;
      const right = kind === "totp" ? step !== undefined : await sms.spend(trx, method.id, null, code);
      if (!right) return false;
      const first = (await countActiveMethods(trx, caller.userId)) === 0;
      await activateMethod(trx, method.id, now, step);
      if (first) {
        backupCodes = newBackupCodes();
        await replaceBackupCodes(trx, caller.userId, backupCodes.map(backupCodeHash));
      }
      await sessions.recordSecondFactor(trx, caller.sessionId);
      await this.deps.onboarding.happened(trx, caller.userId, "mfa_enabled", origin);
      await audit.record(trx, {
        actorUserId: caller.userId,
        action: "mfa.activate",
        resourceType: "mfa_method",
        resourceId: method.id,
        oldValues: { status: "pending" },
        newValues: { kind, status: "active", backupCodesIssued: first },
        origin,
        complianceRelevant: true,
      });
      return true;
    });
    return { verified, backupCodes };
  }

  /** list shows the user's methods, oldest first, and their backup codes as one more method. */
  async list(userId: string): Promise<MfaMethodView[]> {
    const { db, cipher } = this.deps;
    const [methods, remaining] = await Promise.all([findMethods(db, userId), countUnusedBackupCodes(db, userId)]);
    const views: MfaMethodView[] = methods.map((method) => ({
      methodId: method.id,
      kind: method.kind,
      active: method.status === "active",
      maskedPhone: method.kind === "sms" ? maskPhone(openPhone(cipher, method)) : "",
      remainingBackupCodes: 0,
      createdAt: method.created_at,
      lastUsedAt: method.last_used_at,
    }));
    const active = methods.filter((method) => method.status === "active");
    if (active.length > 0) {
      const issuedAt = active.map((method) => method.activated_at!).reduce((a, b) => (a < b ? a : b));
      views.push({
        methodId: backupCodesMethodId(userId),
        kind: "backup_code",
        active: remaining > 0,
        maskedPhone: "",
        remainingBackupCodes: remaining,
        createdAt: issuedAt,
        lastUsedAt: null,
      });
    }
    return views;
  }

  /** remove deletes one of the caller's methods; removing the last active one also voids the backup codes, turning MFA off. */
  async remove(caller: Principal, methodId: string, origin: RequestOrigin): Promise<void> {
    const { db, audit } = this.deps;
    if (methodId === backupCodesMethodId(caller.userId)) throw errors.backupCodesNotRemovable();
    await this.requireStepUp(caller);
    await transaction(db, async (trx) => {
      const removed = await deleteMethod(trx, caller.userId, methodId);
      if (!removed) throw errors.mfaMethodNotFound();
      const last = (await countActiveMethods(trx, caller.userId)) === 0;
      if (last) await deleteBackupCodes(trx, caller.userId);
      await audit.record(trx, {
        actorUserId: caller.userId,
        action: "mfa.remove",
        resourceType: "mfa_method",
        resourceId: methodId,
        oldValues: { kind: removed.kind, status: removed.status },
        newValues: { mfaOff: last },
        origin,
        complianceRelevant: true,
      });
    });
  }

  /** regenerateBackupCodes voids the caller's backup codes and returns ten new ones, shown this once. */
  async regenerateBackupCodes(caller: Principal, origin: RequestOrigin): Promise<string[]> {
    const { db, audit } = this.deps;
    await this.requireStepUp(caller);
    const codes = newBackupCodes();
    await transaction(db, async (trx) => {
      if ((await countActiveMethods(trx, caller.userId)) === 0) throw errors.mfaNotActive();
      await replaceBackupCodes(trx, caller.userId, codes.map(backupCodeHash));
      await audit.record(trx, {
        actorUserId: caller.userId,
        action: "mfa.backup_codes_regenerate",
        resourceType: "user",
        resourceId: caller.userId,
        newValues: { count: codes.length },
        origin,
        complianceRelevant: true,
      });
    });
    return codes;
  }

  /**
   * requireStepUp lets an MFA change through only in a session that passed a second factor in the
   * last ten minutes or, while the user has no active method, one opened in the last ten minutes.
   */
  private async requireStepUp(caller: Principal): Promise<void> {
    const { db, clock, sessions } = this.deps;
    const [assurance, active] = await Promise.all([sessions.assurance(caller.sessionId), countActiveMethods(db, caller.userId)]);
    const now = clock.now().getTime();
    const recent = (at: Date | null | undefined) => at != null && now - at.getTime() <= STEP_UP_WINDOW_MS;
    if (recent(assurance?.secondFactorAt)) return;
    if (active > 0) throw errors.recentSecondFactorRequired();
    if (!recent(assurance?.createdAt)) throw errors.recentSignInRequired();
  }
}
