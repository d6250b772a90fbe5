import type { Db } from "../../db/database.js";
import { transaction } from "../../db/transaction.js";
import type { Clock } from "../../platform/clock.js";
import type { AuditLog } from "../audit/index.js";
import { Gauge, type Registry } from "prom-client";
import { countReviewsDueBy, findOldestOpenReview, lockProfilesDueForReview, openReview } from "./compliance.repository.js";
import { riskRatingOf } from "./risk-rating.js";

/** SWEEP_BATCH is how many profiles one transaction of the sweep puts into review. */
const SWEEP_BATCH = 200;

/** DUE_SOON_MS is how far ahead compliance_reviews_due_soon looks. */
const DUE_SOON_MS = 7 * 86_400_000;

/**
 * PeriodicReviews is the recurring review sweep (the maintenance queue's review-profiles job): it
 * puts into review every profile whose next review date has passed ("periodic_review") or whose
 * risk rating rose since its last review ("risk_rating_increased"), and audits each. A profile in
 * review is left alone until a compliance officer's KYC decision closes the review.
 */
export class PeriodicReviews {
  /**
   * With metrics, the deadlines are published for the alerts, read from the database at each
   * scrape: compliance_reviews_due_soon (profiles whose review falls due within seven days, not yet
   * in review) and compliance_review_oldest_open_seconds (how long the oldest open review has waited
   * for an officer).
   */
  constructor(private readonly deps: { db: Db; clock: Clock; audit: AuditLog; metrics?: Registry }) {
    const { db, clock, metrics } = deps;
    if (!metrics) return;
    new Gauge({
      name: "compliance_reviews_due_soon",
      help: "Compliance profiles whose periodic review falls due within seven days and is not open yet.",
      registers: [metrics],
      async collect() {
        // A database that does not answer leaves the last value: the scrape itself must not fail.
        const due = await countReviewsDueBy(db, new Date(clock.now().getTime() + DUE_SOON_MS)).catch(() => undefined);
        if (due !== undefined) this.set(due);
      },
    });
    new Gauge({
      name: "compliance_review_oldest_open_seconds",
      help: "How long the oldest open compliance review has waited for a KYC decision, in seconds (0: none open).",
      registers: [metrics],
      async collect() {
        const oldest = await findOldestOpenReview(db).then(
          (at) => ({ at }),
          () => undefined,
        );
        if (oldest) this.set(oldest.at ? Math.max(0, (clock.now().getTime() - oldest.at.getTime()) / 1000) : 0);
      },
    });
  }

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
