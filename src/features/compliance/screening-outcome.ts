import type { ComplianceProfileRow } from "./compliance.repository.js";
import { reviewDueAfter, riskScoreOf, SCREENING_RISK, type RiskFactor } from "./risk-rating.js";
import type { Screening } from "./verification.js";

/** screeningFactors are the risk factors a screening adds. */
function screeningFactors(screening: Screening): RiskFactor[] {
  const factors: RiskFactor[] = [];
  if (screening.sanctions === "potential_match") factors.push({ code: "sanctions_potential_match", weight: SCREENING_RISK.sanctions_potential_match });
  if (screening.pep === "pep") factors.push({ code: "pep_potential_match", weight: SCREENING_RISK.pep_potential_match });
  return factors;
}

/**
 * screeningChanges are the compliance profile's fields after a finished screening: both statuses
 * and what matched, the risk factors the screening adds in place of the last screening's, and for a
 * hit enhanced due diligence and a review. Those two stay once set: a compliance officer clears
 * them, not a later screening. A screening that checked nothing keeps the last screening's time.
 * A higher risk brings the next periodic review forward; a lower one does not put it off.
 */
export function screeningChanges(before: ComplianceProfileRow | undefined, screening: Screening, now: Date) {
  const factors = [...(before?.risk_factors ?? []).filter((factor) => !(factor.code in SCREENING_RISK)), ...screeningFactors(screening)];
  const hit = screening.hits.length > 0;
  const score = riskScoreOf(factors);
  const dueBy = reviewDueAfter(score, now);
  const inReview = before?.review_requested_at ? { review_reason: before.review_reason, review_requested_at: before.review_requested_at } : undefined;
  return {
    sanctions_status: screening.sanctions,
    pep_status: screening.pep,
    screening_matches: JSON.stringify(screening.hits),
    last_screened_at: screening.sanctions === "not_checked" ? (before?.last_screened_at ?? null) : now,
    risk_score: score,
    risk_factors: JSON.stringify(factors),
    edd_required: (before?.edd_required ?? false) || hit,
    next_review_at: before?.next_review_at && before.next_review_at < dueBy ? before.next_review_at : dueBy,
    // A new profile's first score is the one later ones are compared with; reviews move it on.
    ...(before === undefined && { reviewed_risk_score: score }),
    ...(inReview ?? (hit ? { review_reason: "screening_match", review_requested_at: now } : { review_reason: null, review_requested_at: null })),
  };
}
