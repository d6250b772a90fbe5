import type { Db, DbOrTx } from "../../db/database.js";
import type { KycStatusValue, PepStatusValue, SanctionsStatusValue } from "../../db/tables/compliance.js";
import type { Principal } from "../../shared/principal.js";
import type { ProfileService } from "../profile/index.js";
import type { ComplianceAccess } from "./compliance-access.js";
import { findComplianceProfile, findPendingLimitRequest, type ComplianceProfileRow } from "./compliance.repository.js";
import { riskRatingOf, type RiskRatingValue } from "./risk-rating.js";
import { formatAmount, KYC_LEVEL_LIMITS, type TradingLimitsValue } from "./trading-limits.js";

/** PendingLimits are limits asked for and waiting for a second officer. */
export interface PendingLimits {
  requestId: string;
  limits: TradingLimitsValue;
  requestedBy: string;
  reason: string;
  requestedAt: Date;
}

/** ComplianceProfile is a user's compliance standing as compliance officers read it. */
export interface ComplianceProfile {
  userId: string;
  kycStatus: KycStatusValue;
  kycLevel: number;
  riskScore: number;
  riskRating: RiskRatingValue;
  riskFactors: string[];
  sanctionsStatus: SanctionsStatusValue;
  pepStatus: PepStatusValue;
  eddRequired: boolean;
  /** The limits in force: those set, else the KYC level's defaults. */
  tradingLimits: TradingLimitsValue;
  pendingLimits: PendingLimits | undefined;
  reviewReason: string | undefined;
  nextReviewAt: Date | undefined;
  lastScreenedAt: Date | undefined;
  updatedAt: Date | undefined;
}

const amount = (stored: string | null) => (stored === null ? null : formatAmount(stored));

/** limitsInForce are the limits a profile sets, or its KYC level's defaults. */
export function limitsInForce(row: Pick<ComplianceProfileRow, "kyc_level" | "limits_set_at" | "daily_limit" | "position_size_limit" | "limits_currency"> | undefined): TradingLimitsValue {
  if (!row?.limits_set_at) return KYC_LEVEL_LIMITS[row?.kyc_level ?? 0]!;
  return { dailyLimit: amount(row.daily_limit), positionSizeLimit: amount(row.position_size_limit), currency: row.limits_currency! };
}

/** ComplianceProfiles reads users' compliance profiles. */
export class ComplianceProfiles {
  constructor(
    private readonly db: Db,
    private readonly profiles: ProfileService,
    private readonly access: ComplianceAccess,
  ) {}

  /** get reads a user's profile for a caller allowed to (see ComplianceAccess); unknown users are NOT_FOUND. */
  async get(caller: Principal, userId: string, organizationId: string | undefined): Promise<ComplianceProfile> {
    await this.access.ensureMayActOn(caller, userId, organizationId, "compliance.read");
    return this.read(this.db, userId);
  }

  /** read reads a user's profile; a user never verified reads as never screened, with nothing verified. */
  async read(db: DbOrTx, userId: string): Promise<ComplianceProfile> {
    const [row, pending] = await Promise.all([findComplianceProfile(db, userId), findPendingLimitRequest(db, userId)]);
    if (!row) await this.profiles.get(userId); // NOT_FOUND for no such user
    return {
      userId,
      kycStatus: row?.kyc_status ?? "not_started",
      kycLevel: row?.kyc_level ?? 0,
      riskScore: row?.risk_score ?? 0,
      riskRating: riskRatingOf(row?.risk_score ?? 0),
      riskFactors: (row?.risk_factors ?? []).map((factor) => factor.code),
      sanctionsStatus: row?.sanctions_status ?? "not_checked",
      pepStatus: row?.pep_status ?? "not_checked",
      eddRequired: row?.edd_required ?? false,
      tradingLimits: limitsInForce(row),
      pendingLimits: pending && {
        requestId: pending.id,
        limits: { dailyLimit: amount(pending.daily_limit), positionSizeLimit: amount(pending.position_size_limit), currency: pending.currency },
        requestedBy: pending.requested_by,
        reason: pending.reason,
        requestedAt: pending.requested_at,
      },
      reviewReason: row?.review_reason ?? undefined,
      nextReviewAt: row?.next_review_at ?? undefined,
      lastScreenedAt: row?.last_screened_at ?? undefined,
      updatedAt: row?.updated_at,
    };
  }
}
