/** TradingLimitsValue are a user's limits as decimal strings in currency; null: no per-user limit. */
export interface TradingLimitsValue {
  dailyLimit: string | null;
  positionSizeLimit: string | null;
  currency: string;
}

/** DEFAULT_CURRENCY is the currency of the KYC levels' default limits. */
export const DEFAULT_CURRENCY = "USD";

/**
 * KYC_LEVEL_LIMITS are the limits a user has until a compliance officer sets others, by KYC level
 * (0 none, 1 basic, 2 standard, 3 enhanced): nothing may be traded before KYC.
 */
export const KYC_LEVEL_LIMITS: readonly TradingLimitsValue[] = [
  { dailyLimit: "0.00", positionSizeLimit: "0.00", currency: DEFAULT_CURRENCY },
  { dailyLimit: "10000.00", positionSizeLimit: "5000.00", currency: DEFAULT_CURRENCY },
  { dailyLimit: "100000.00", positionSizeLimit: "50000.00", currency: DEFAULT_CURRENCY },
  { dailyLimit: "1000000.00", positionSizeLimit: "500000.00", currency: DEFAULT_CURRENCY },
];

/** AMOUNT is a decimal amount as the API and the database write it: digits, and up to four decimals. */
const AMOUNT = /^(\d+)(?:\.(\d+))?$/;

/** amountKey is an amount written so that amounts compare as strings: 19 integer digits and 4 decimals. */
function amountKey(amount: string): string {
  const match = AMOUNT.exec(amount);
  if (!match) throw new Error(`not an amount: ${amount}`);
  return `${match[1]!.padStart(19, "0")}.${(match[2] ?? "").padEnd(4, "0").slice(0, 4)}`;
}

/** exceeds says whether an amount is above a bound; no limit (null) is above every bound but none. */
function exceeds(amount: string | null, bound: string | null): boolean {
  if (bound === null) return false;
  return amount === null || amountKey(amount) > amountKey(bound);
}

/**
 * withinLevelDefaults says whether limits may take effect on one officer's word: in the defaults'
 * currency (amounts in another cannot be compared without a rate) and neither above the level's.
 */
export function withinLevelDefaults(limits: TradingLimitsValue, kycLevel: number): boolean {
  const defaults = KYC_LEVEL_LIMITS[kycLevel]!;
  return limits.currency === defaults.currency && !exceeds(limits.dailyLimit, defaults.dailyLimit) && !exceeds(limits.positionSizeLimit, defaults.positionSizeLimit);
}

/** formatAmount writes a stored amount with two decimals, or four when it needs them ("250000.0000" → "250000.00"). */
export function formatAmount(amount: string): string {
  const [whole, fraction = ""] = amount.split(".");
  const decimals = fraction.replace(/0+$/, "").padEnd(2, "0");
  return `${BigInt(whole!).toString()}.${decimals}`;
}
