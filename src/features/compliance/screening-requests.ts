import type { Db } from "../../db/database.js";
import { afterCommit, transaction } from "../../db/transaction.js";
import { enqueue, queueRiskScoring, queues } from "../../jobs/outbox.js";
import type { Clock } from "../../platform/clock.js";
import type { Principal } from "../../shared/principal.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import type { AuditLog } from "../audit/index.js";
import type { ProfileService } from "../profile/index.js";
import type { ComplianceViolations } from "./compliance-violations.js";
import * as errors from "./compliance.errors.js";
import { lockComplianceProfile, saveComplianceProfile } from "./compliance.repository.js";
import { screeningChanges } from "./screening-outcome.js";
import type { NameScreening } from "./screening.js";
import { screenName } from "./verification.js";

/** ScreeningRequestsDependencies are what screenings on request read and write. */
export interface ScreeningRequestsDependencies {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  profiles: ProfileService;
  /** The lists; undefined without SANCTIONS_LIST_FILE, when a screening checks nothing. */
  screening: NameScreening | undefined;
  /** Counts the screenings that matched. */
  violations: ComplianceViolations;
}

/**
 * ScreeningRequests screens users again on a compliance officer's request (ScreenUser): the request
 * queues a compliance-screening job and marks both screenings pending; the job screens the user's
 * current name and records the outcome. Both take the user's row lock, then the profile's, so a
 * request and its job, or two requests, take turns.
 */
export class ScreeningRequests {
  constructor(private readonly deps: ScreeningRequestsDependencies) {}

  /** request queues a screening of the user, or answers the one already queued; it says which. */
  request(caller: Principal, userId: string, origin: RequestOrigin): Promise<{ screeningId: string; queued: boolean }> {
    const { db, clock, audit, profiles } = this.deps;
    return transaction(db, async (trx) => {
      if (!(await profiles.lockApplicant(trx, userId))) throw errors.userNotFound();
      const before = await lockComplianceProfile(trx, userId);
      if (before?.pending_screening_id) return { screeningId: before.pending_screening_id, queued: false };
      const now = clock.now();
      const screeningId = await enqueue(trx, queues.complianceScreening, "screen-user", { userId });
      await saveComplianceProfile(trx, {
        user_id: userId,
        sanctions_status: "pending",
        pep_status: "pending",
        pending_screening_id: screeningId,
        created_at: before?.created_at ?? now,
        updated_at: now,
      });
      await audit.record(trx, {
        actorUserId: caller.userId,
        action: "compliance.screening_requested",
        resourceType: "user",
        resourceId: userId,
        oldValues: { sanctionsCheckStatus: before?.sanctions_status ?? "not_checked", pepStatus: before?.pep_status ?? "not_checked" },
        newValues: { sanctionsCheckStatus: "pending", pepStatus: "pending", screeningId },
        origin,
        complianceRelevant: true,
      });
      return { screeningId, queued: true };
    });
  }

  /**
   * run is the compliance-screening job: it screens the user's current name and records the outcome,
   * if this screening is still the one awaited; a job run again after finishing does nothing.
   */
  run(userId: string, screeningId: string): Promise<"screened" | "not_awaited"> {
    const { db, clock, audit, profiles, screening } = this.deps;
    return transaction(db, async (trx) => {
      const holder = await profiles.lockApplicant(trx, userId);
      const before = holder && (await lockComplianceProfile(trx, userId));
      if (!holder || before?.pending_screening_id !== screeningId) return "not_awaited";
      const now = clock.now();
      const outcome = screenName(screening, holder.fullName);
      await saveComplianceProfile(trx, { user_id: userId, ...screeningChanges(before, outcome, now), pending_screening_id: null, created_at: before.created_at, updated_at: now });
      await queueRiskScoring(trx, userId);
      afterCommit(trx, async () => this.deps.violations.screened(outcome));
      await audit.record(trx, {
        actorUserId: null,
        action: "compliance.screening",
        resourceType: "user",
        resourceId: userId,
        newValues: { sanctionsCheckStatus: outcome.sanctions, pepStatus: outcome.pep, screeningHits: outcome.hits.length, screeningId },
        origin: {},
        complianceRelevant: true,
      });
      return "screened";
    });
  }
}
