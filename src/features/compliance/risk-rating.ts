/** RiskFactor is one reason a user's risk score is what it is, with the points it adds. */
export interface RiskFactor {
  code: string;
  weight: number;
}

/** RiskRatingValue is the band a risk score falls in. */
export type RiskRatingValue = "low" | "medium" | "high";

/** SCREENING_RISK is what a screening hit adds to the risk score: a possible sanctions match alone makes the user high risk. */
export const SCREENING_RISK = { sanctions_potential_match: 70, pep_potential_match: 40 } as const;

/** riskScoreOf adds up the factors, capped at 100. */
export const riskScoreOf = (factors: readonly RiskFactor[]) => Math.min(100, factors.reduce((sum, factor) => sum + factor.weight, 0));

/** RISK_BANDS are the least scores rated medium and high. */
export const RISK_BANDS = { medium: 30, high: 70 } as const;

/** riskRatingOf is the band of a score: below 30 low, below 70 medium, else high. */
export function riskRatingOf(score: number): RiskRatingValue {
  if (score >= RISK_BANDS.high) return "high";
  return score >= RISK_BANDS.medium ? "medium" : "low";
}

/** REVIEW_INTERVAL_DAYS is how long a profile may go between periodic reviews, by risk rating. */
export const REVIEW_INTERVAL_DAYS: Record<RiskRatingValue, number> = { low: 3 * 365, medium: 2 * 365, high: 365 };

/** reviewDueAfter is when a profile reviewed (or created) at `from` with this score is next due. */
export function reviewDueAfter(score: number, from: Date): Date {
  return new Date(from.getTime() + REVIEW_INTERVAL_DAYS[riskRatingOf(score)] * 24 * 3600 * 1000);
}
