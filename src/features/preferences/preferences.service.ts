import type { Db } from "../../db/database.js";
import type { StoredPreferences } from "../../db/tables/preferences.js";
import { transaction } from "../../db/transaction.js";
import type { Clock } from "../../platform/clock.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import type { AuditLog } from "../audit/index.js";
import * as errors from "./preferences.errors.js";
import { findPreferences, lockPreferences, savePreferences } from "./preferences.repository.js";

/** DEFAULT_PREFERENCES are a new user's preferences. */
export const DEFAULT_PREFERENCES: StoredPreferences = {
  theme: "system",
  language: "en",
  timezone: "UTC",
  emailNotifications: { securityAlerts: true, tradeConfirmations: true, priceAlerts: false, accountUpdates: false, marketing: false },
  smsNotifications: { securityAlerts: true, tradeConfirmations: true, priceAlerts: false, accountUpdates: false, marketing: false },
  tradingPreferences: { defaultOrderType: "limit", confirmOrders: true, defaultCurrency: "USD", riskWarnings: true },
};

/** withDefaults fills in what stored preferences lack (fields added after they were saved). */
function withDefaults(stored: Partial<StoredPreferences> | undefined): StoredPreferences {
  const d = DEFAULT_PREFERENCES;
  return {
    ...d,
    ...stored,
    emailNotifications: { ...d.emailNotifications, ...stored?.emailNotifications },
    smsNotifications: { ...d.smsNotifications, ...stored?.smsNotifications },
    tradingPreferences: { ...d.tradingPreferences, ...stored?.tradingPreferences },
  };
}

/** canonicalLanguage is the canonical form of a BCP 47 tag ("pt-br" → "pt-BR"); INVALID_ARGUMENT for one that is not well-formed. */
function canonicalLanguage(language: string): string {
  try {
    return Intl.getCanonicalLocales(language)[0]!;
  } catch {
    throw errors.unknownLanguage(language);
  }
}

/** checkTimezone refuses a name the runtime's IANA time zone database does not know. */
function checkTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat("en", { timeZone: timezone });
  } catch {
    throw errors.unknownTimezone(timezone);
  }
}

/**
 * Preferences keeps users' display, notification and trading preferences. A user who never
 * changed one has the defaults; every change is audited with the old and new values.
 */
export class Preferences {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {}

  /** get returns the user's preferences, defaults filled in. */
  async get(userId: string): Promise<StoredPreferences> {
    return withDefaults(await findPreferences(this.db, userId));
  }

  /**
   * update applies change to the user's current preferences under their row lock, so concurrent
   * updates of different fields both land, checks the language and time zone, and audits the
   * fields that changed.
   */
  async update(userId: string, change: (current: StoredPreferences) => StoredPreferences, origin: RequestOrigin): Promise<StoredPreferences> {
    const now = this.clock.now();
    return transaction(this.db, async (trx) => {
      const current = withDefaults(await lockPreferences(trx, userId, DEFAULT_PREFERENCES, now));
      const changed = change(structuredClone(current));
      const next = { ...changed, language: canonicalLanguage(changed.language) };
      checkTimezone(next.timezone);
      const changedFields = (Object.keys(next) as Array<keyof StoredPreferences>).filter((field) => JSON.stringify(next[field]) !== JSON.stringify(current[field]));
      if (changedFields.length === 0) return current;
      await savePreferences(trx, userId, next, now);
      await this.audit.record(trx, {
        actorUserId: userId,
        action: "preferences.update",
        resourceType: "user_preferences",
        resourceId: userId,
        oldValues: Object.fromEntries(changedFields.map((field) => [field, current[field]])),
        newValues: Object.fromEntries(changedFields.map((field) => [field, next[field]])),
        origin,
      });
      return next;
    });
  }
}
