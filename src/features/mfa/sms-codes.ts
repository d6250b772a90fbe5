import { randomInt } from "node:crypto";
import type { DbOrTx } from "../../db/database.js";
import type { Clock } from "../../platform/clock.js";
import type { FieldCipher } from "../../platform/crypto/field-cipher.js";
import type { Limiter } from "../../platform/rate-limits.js";
import type { SmsSender } from "../../platform/sms.js";
import { DomainError } from "../../shared/domain-error.js";
import { insertSmsCode, spendSmsCode } from "./mfa.repository.js";

/** SMS_CODE_TTL_MS is how long a code sent by SMS may be used. */
const SMS_CODE_TTL_MS = 5 * 60 * 1000;

/** SmsCodesDependencies are what sending and checking SMS codes needs. */
export interface SmsCodesDependencies {
  sender: SmsSender;
  cipher: FieldCipher;
  clock: Clock;
  /** Texts sent per user, and per phone number, in their windows. */
  sendsPerUser: Limiter;
  sendsPerPhone: Limiter;
  /** Who the text says the code is from (TOTP_ISSUER). */
  issuer: string;
}

/**
 * SmsCodes makes six-digit codes, keeps only their keyed hashes (valid five minutes, single use)
 * and texts them, within a budget per user and per phone number so the service cannot be used to
 * flood a phone or run up the SMS bill.
 */
export class SmsCodes {
  constructor(private readonly deps: SmsCodesDependencies) {}

  /**
   * reserve takes one text from the user's and the phone's budgets, before anything is created, and
   * throws LimitExceeded when either is spent. The phone is keyed by a keyed hash, never in clear.
   */
  async reserve(userId: string, phone: string): Promise<void> {
    const { sendsPerUser, sendsPerPhone, cipher } = this.deps;
    await sendsPerUser.consume(userId);
    await sendsPerPhone.consume(cipher.keyedHash(phone, "sms-sends").toString("base64url"));
  }

  /** issue makes a code for the method (and challenge, or null for enrolment), stores its hash in db, and returns it to be delivered. */
  async issue(db: DbOrTx, methodId: string, challengeId: string | null): Promise<string> {
    const now = this.deps.clock.now();
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    await insertSmsCode(db, { methodId, challengeId, hash: this.hash(methodId, code), createdAt: now, expiresAt: new Date(now.getTime() + SMS_CODE_TTL_MS) });
    return code;
  }

  /** deliver texts the code to the phone; a sender that fails is UNAVAILABLE, to be tried again. */
  async deliver(phone: string, code: string): Promise<void> {
    const text = `${code} is your ${this.deps.issuer} verification code. It expires in 5 minutes. Never share it.`;
    await this.deps.sender.send(phone, text).catch((error: unknown) => {
      throw new DomainError("unavailable", "sms_not_sent", "the SMS could not be sent; try again later", { cause: error });
    });
  }

  /** spend accepts a code sent for the method and challenge once, if it has not expired. */
  spend(db: DbOrTx, methodId: string, challengeId: string | null, code: string): Promise<boolean> {
    return spendSmsCode(db, methodId, challengeId, this.hash(methodId, code), this.deps.clock.now());
  }

  private hash(methodId: string, code: string): Buffer {
    return this.deps.cipher.keyedHash(code, `mfa_sms_codes:${methodId}`);
  }
}
