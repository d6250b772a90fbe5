import type { Db } from "../../db/database.js";
import type { KycStatusValue } from "../../db/tables/compliance.js";
import { transaction } from "../../db/transaction.js";
import { queueRiskScoring } from "../../jobs/outbox.js";
import type { Clock } from "../../platform/clock.js";
import type { Principal } from "../../shared/principal.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import type { VerificationStatusValue } from "../../shared/user-status.js";
import type { AuditLog } from "../audit/index.js";
import type { UserLifecycle } from "../lifecycle/index.js";
import type { ProfileService } from "../profile/index.js";
import type { ComplianceAccess } from "./compliance-access.js";
import * as errors from "./compliance.errors.js";
import { lockComplianceProfile, saveComplianceProfile } from "./compliance.repository.js";
import type { ComplianceProfile, ComplianceProfiles } from "./compliance.service.js";
import { reviewDueAfter } from "./risk-rating.js";

/** KycDecision is a compliance officer's KYC decision about a user. */
export interface KycDecision {
  userId: string;
  kycStatus: KycStatusValue;
  /** 0 (none) to 3 (enhanced). */
  kycLevel: number;
  reason: string;
  organizationId: string | undefined;
}

/** KycDecisionsDependencies are what a KYC decision reads and changes. */
export interface KycDecisionsDependencies {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  profiles: ProfileService;
  lifecycle: UserLifecycle;
  access: ComplianceAccess;
  compliance: ComplianceProfiles;
}

/** verificationAfter is the verification status users see after a KYC status, as the API describes it. */
function verificationAfter(kycStatus: KycStatusValue): VerificationStatusValue {
  if (kycStatus === "approved") return "verified";
  return kycStatus === "rejected" ? "requires_additional_verification" : "pending";
}

/**
 * KycDecisions records compliance officers' KYC decisions (UpdateKycStatus): the KYC status and
 * level, the verification status users see, an approved account's activation, the end of the
 * user's review and the date of the next one, audited with old and new values and the reason.
 */
export class KycDecisions {
  constructor(private readonly deps: KycDecisionsDependencies) {}

  /** decide records the decision and answers the profile after it. */
  async decide(caller: Principal, decision: KycDecision, origin: RequestOrigin): Promise<ComplianceProfile> {
    const { db, clock, audit, profiles, lifecycle, access, compliance } = this.deps;
    const { userId, kycStatus, kycLevel, reason, organizationId } = decision;
    await access.ensureMayActOn(caller, userId, organizationId, "compliance.kyc.update");
    return transaction(db, async (trx) => {
      const holder = await profiles.lockApplicant(trx, userId);
      if (!holder) throw errors.userNotFound();
      const before = await lockComplianceProfile(trx, userId);
      const now = clock.now();
      const verificationStatus = verificationAfter(kycStatus);
      await saveComplianceProfile(trx, {
        user_id: userId,
        kyc_status: kycStatus,
        kyc_level: kycLevel,
        review_reason: null,
        review_requested_at: null,
        next_review_at: reviewDueAfter(before?.risk_score ?? 0, now),
        reviewed_risk_score: before?.risk_score ?? 0,
        step_up_required: false, // the review the security protocols asked for is this decision
        created_at: before?.created_at ?? now,
        updated_at: now,
      });
      await queueRiskScoring(trx, userId);
      if (holder.verificationStatus !== verificationStatus) await profiles.setVerificationStatus(trx, userId, verificationStatus);
      if (kycStatus === "approved") {
        await lifecycle.moveWithin(trx, { userId, from: "pending_verification", to: "active", reason: "kyc_approved", actorUserId: caller.userId, origin });
      }
      await audit.record(trx, {
        actorUserId: caller.userId,
        action: "compliance.kyc_update",
        resourceType: "user",
        resourceId: userId,
        organizationId,
        oldValues: { kycStatus: before?.kyc_status ?? "not_started", kycLevel: before?.kyc_level ?? 0, verificationStatus: holder.verificationStatus, reviewReason: before?.review_reason ?? null },
        newValues: { kycStatus, kycLevel, verificationStatus, reviewReason: null },
        reason,
        origin,
        complianceRelevant: true,
      });
      return compliance.read(trx, userId);
    });
  }
}
