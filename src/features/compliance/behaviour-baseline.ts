import type { RiskFactor } from "./risk-rating.js";

/** SignInEvent is one sign-in as behaviour is read from it. */
export interface SignInEvent {
  at: Date;
  deviceId: string | null;
  country: string | null;
}

/** BASELINE_MIN_SIGN_INS is how many earlier sign-ins make a baseline; with fewer nothing departs from anything. */
export const BASELINE_MIN_SIGN_INS = 5;

/** BEHAVIOUR_POINTS is what each departure from the user's habits adds; together at most BEHAVIOUR_MAX. */
const BEHAVIOUR_POINTS = { unusual_hour: 5, unusual_device: 8, unusual_country: 12, sign_in_rate_spike: 10 } as const;
const BEHAVIOUR_MAX = 25;
/** A day's sign-ins this many times the baseline's daily mean (and at least 3 more) is a spike. */
const RATE_SPIKE_FACTOR = 3;

/**
 * behaviourFactors scores how far recent sign-ins depart from a user's baseline: the hours (UTC)
 * they usually sign in at, their devices and countries, and how many sign-ins a day they make. The
 * baseline is the earlier sign-ins over baselineDays; recent ones are those of the last day.
 */
export function behaviourFactors(baseline: readonly SignInEvent[], recent: readonly SignInEvent[], baselineDays: number): RiskFactor[] {
  if (baseline.length < BASELINE_MIN_SIGN_INS || recent.length === 0) return [];
  const hours = new Set(baseline.map((event) => event.at.getUTCHours()));
  const devices = new Set(baseline.flatMap((event) => (event.deviceId ? [event.deviceId] : [])));
  const countries = new Set(baseline.flatMap((event) => (event.country ? [event.country] : [])));
  const nearUsualHour = (hour: number) => [-1, 0, 1].some((offset) => hours.has((hour + offset + 24) % 24));
  const factors: RiskFactor[] = [];
  if (recent.some((event) => !nearUsualHour(event.at.getUTCHours()))) factors.push({ code: "unusual_hour", weight: BEHAVIOUR_POINTS.unusual_hour });
  if (recent.some((event) => event.deviceId !== null && !devices.has(event.deviceId))) factors.push({ code: "unusual_device", weight: BEHAVIOUR_POINTS.unusual_device });
  if (recent.some((event) => event.country !== null && countries.size > 0 && !countries.has(event.country))) {
    factors.push({ code: "unusual_country", weight: BEHAVIOUR_POINTS.unusual_country });
  }
  const dailyMean = baseline.length / baselineDays;
  if (recent.length >= dailyMean * RATE_SPIKE_FACTOR + 3) factors.push({ code: "sign_in_rate_spike", weight: BEHAVIOUR_POINTS.sign_in_rate_spike });
  // Scaled down together, so the factors shown still add up to what they contribute.
  const total = factors.reduce((sum, factor) => sum + factor.weight, 0);
  return total <= BEHAVIOUR_MAX ? factors : factors.map((factor) => ({ ...factor, weight: Math.floor((factor.weight * BEHAVIOUR_MAX) / total) }));
}
