import type { Db } from "../../db/database.js";
import { afterCommit, transaction } from "../../db/transaction.js";
import { queueRiskScoring } from "../../jobs/outbox.js";
import type { Clock } from "../../platform/clock.js";
import type { VerificationStatusValue } from "../../shared/user-status.js";
import type { Logger } from "../../platform/logger.js";
import type { AuditLog } from "../audit/index.js";
import { findOidcIssuer } from "../auth/index.js";
import type { UserLifecycle } from "../lifecycle/index.js";
import type { ProfileService } from "../profile/index.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import type { ComplianceViolations } from "./compliance-violations.js";
import { lockComplianceProfile, saveComplianceProfile } from "./compliance.repository.js";
import { screeningChanges } from "./screening-outcome.js";
import type { VerificationDecision, VerificationProvider } from "./verification.js";

/** IdentityVerificationDependencies are what verification reads, decides with and writes to. */
export interface IdentityVerificationDependencies {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  profiles: ProfileService;
  lifecycle: UserLifecycle;
  provider: VerificationProvider;
  log: Logger;
  /** Counts the screenings that matched. */
  violations: ComplianceViolations;
}

/** VerificationOutcome is what a verification run did: decided, or found the user decided already (or gone). */
export type VerificationOutcome = Exclude<VerificationStatusValue, "pending"> | "already_decided" | "no_such_user";

/** VerificationRequester is who asked for a verification (VerifyUsers), and from where. */
export interface VerificationRequester {
  userId: string;
  origin: RequestOrigin;
}

/**
 * IdentityVerification decides a new user's verification status (the verify-identity job). The
 * provider decides outside any transaction (a vendor may take seconds); the decision is applied in
 * one, under the user's row lock, only while the user is still pending, so a job run twice (a
 * retry, a crash, a second worker) has its effect once.
 */
export class IdentityVerification {
  constructor(private readonly deps: IdentityVerificationDependencies) {}

  /**
   * verify decides the user's verification status and records it with the screening and its risk.
   * Asked by someone (VerifyUsers), the decision is recorded as made on their behalf, with their call.
   */
  async verify(userId: string, askedBy?: VerificationRequester): Promise<VerificationOutcome> {
    const { db, profiles, provider } = this.deps;
    const holder = await profiles.applicant(userId);
    if (!holder) return "no_such_user";
    if (holder.verificationStatus !== "pending") return "already_decided";
    const decision = await provider.verify({
      userId,
      email: holder.email,
      fullName: holder.fullName,
      registrationType: holder.registrationType,
      emailVouchedBy: holder.registrationType === "email" ? undefined : await findOidcIssuer(db, userId),
    });
    return this.apply(userId, decision, askedBy);
  }

  private apply(userId: string, decision: VerificationDecision, askedBy: VerificationRequester | undefined): Promise<VerificationOutcome> {
    const { db, clock, audit, profiles, lifecycle, provider, log } = this.deps;
    return transaction(db, async (trx) => {
      const holder = await profiles.lockApplicant(trx, userId);
      if (!holder) return "no_such_user";
      if (holder.verificationStatus !== "pending") return "already_decided";
      const now = clock.now();
      const status = decision.verified ? "verified" : "requires_additional_verification";
      await profiles.setVerificationStatus(trx, userId, status);
      const before = await lockComplianceProfile(trx, userId);
      await saveComplianceProfile(trx, {
        user_id: userId,
        ...screeningChanges(before, decision.screening, now),
        verification_reasons: JSON.stringify(decision.reasons),
        verified_by: provider.name,
        created_at: before?.created_at ?? now,
        updated_at: now,
      });
      await queueRiskScoring(trx, userId);
      afterCommit(trx, async () => this.deps.violations.screened(decision.screening));
      const origin = askedBy?.origin ?? {};
      if (decision.verified) await lifecycle.moveWithin(trx, { userId, from: "pending_verification", to: "active", reason: "identity_verified", actorUserId: null, origin });
      await audit.record(trx, {
        actorUserId: null,
        action: "user.identity_verification",
        resourceType: "user",
        resourceId: userId,
        oldValues: { verificationStatus: "pending" },
        newValues: {
          verificationStatus: status,
          reasons: decision.reasons,
          provider: provider.name,
          sanctionsCheckStatus: decision.screening.sanctions,
          pepStatus: decision.screening.pep,
          screeningHits: decision.screening.hits.length,
        },
        origin,
        onBehalfOfUserId: askedBy?.userId,
        complianceRelevant: true,
      });
      afterCommit(trx, async () => log.info({ userId, verificationStatus: status, reasons: decision.reasons }, "identity verification decided"));
      return status;
    });
  }
}
