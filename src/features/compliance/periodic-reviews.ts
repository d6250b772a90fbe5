import type { Db } from "../../db/database.js";
import { transaction } from "../../db/transaction.js";
import type { Clock } from "../../platform/clock.js";
import type { AuditLog } from "../audit/index.js";
import { lockProfilesDueForReview, openReview } from "./compliance.repository.js";
import { riskRatingOf } from "./risk-rating.js";

/** SWEEP_BATCH is how many profiles one transaction of the sweep puts into review. */
const SWEEP_BATCH = 200;

/**
 * PeriodicReviews is the recurring review sweep (the maintenance queue's review-profiles job): it
 * puts into review every profile whose next review date has passed ("periodic_review") or whose
 * risk rating rose since its last review ("risk_rating_increased"), and audits each. A profile in
 * review is left alone until a compliance officer's KYC decision closes the review.
 */
export class PeriodicReviews {
  constructor(private readonly deps: { db: Db; clock: Clock; audit: AuditLog }) {}

  /** sweep opens the reviews due and says how many it opened. */
  async sweep(): Promise<number> {
    let opened = 0;
    for (;;) {
      const batch = await transaction(this.deps.db, async (trx) => {
        const now = this.deps.clock.now();
        const due = await lockProfilesDueForReview(trx, now, SWEEP_BATCH);
        for (const profile of due) {
          const reason = profile.next_review_at && profile.next_review_at <= now ? "periodic_review" : "risk_rating_increased";
          await openReview(trx, profile.user_id, reason, now);
          await this.deps.audit.record(trx, {
            actorUserId: null,
            action: "compliance.review_opened",
            resourceType: "user",
            resourceId: profile.user_id,
            newValues: {
              reviewReason: reason,
              riskRating: riskRatingOf(profile.risk_score),
              ...(profile.next_review_at && { nextReviewAt: profile.next_review_at.toISOString() }),
              ...(reason === "risk_rating_increased" && { reviewedRiskRating: riskRatingOf(profile.reviewed_risk_score ?? 0) }),
            },
            origin: {},
            complianceRelevant: true,
          });
        }
        return due.length;
      });
      opened += batch;
      if (batch < SWEEP_BATCH) return opened;
    }
  }
}
