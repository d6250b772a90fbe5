import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  KycLevel,
  KycStatus,
  PepStatus,
  RiskRating,
  SanctionsCheckStatus,
  type GetComplianceProfileResponseSchema,
  type TradingLimits,
  type TradingLimitsSchema,
} from "../../../gen/platform/user/v1/compliance_service_pb.js";
import type { KycStatusValue, PepStatusValue, SanctionsStatusValue } from "../../db/tables/compliance.js";
import { twoWayMap } from "../../shared/two-way-map.js";
import type { ComplianceProfile } from "./compliance.service.js";
import type { TradingLimitsValue } from "./trading-limits.js";
import type { RiskRatingValue } from "./risk-rating.js";

const kycStatuses = twoWayMap<KycStatusValue, KycStatus>([
  ["not_started", KycStatus.NOT_STARTED],
  ["pending", KycStatus.PENDING],
  ["approved", KycStatus.APPROVED],
  ["rejected", KycStatus.REJECTED],
  ["expired", KycStatus.EXPIRED],
]);
/** Stored levels 0–3, in the API's order. */
const kycLevels = [KycLevel.NONE, KycLevel.BASIC, KycLevel.STANDARD, KycLevel.ENHANCED];
const riskRatings: Record<RiskRatingValue, RiskRating> = { low: RiskRating.LOW, medium: RiskRating.MEDIUM, high: RiskRating.HIGH };
const sanctionsStatuses: Record<SanctionsStatusValue, SanctionsCheckStatus> = {
  not_checked: SanctionsCheckStatus.NOT_CHECKED,
  pending: SanctionsCheckStatus.PENDING,
  clear: SanctionsCheckStatus.CLEAR,
  potential_match: SanctionsCheckStatus.POTENTIAL_MATCH,
  confirmed_match: SanctionsCheckStatus.CONFIRMED_MATCH,
};
const pepStatuses: Record<PepStatusValue, PepStatus> = {
  not_checked: PepStatus.NOT_CHECKED,
  pending: PepStatus.PENDING,
  not_pep: PepStatus.NOT_PEP,
  pep: PepStatus.PEP,
  related: PepStatus.RELATED,
};

/** kycStatusFromPb reads a declared KYC status; validation already refused the unspecified and unknown ones. */
export const kycStatusFromPb = (status: KycStatus) => kycStatuses.backward[status];

/** kycLevelFromPb is the stored level (0–3) of a declared KYC level. */
export const kycLevelFromPb = (level: KycLevel) => kycLevels.indexOf(level);

/** tradingLimitsFromPb reads limits; an empty amount is no per-user limit. */
export function tradingLimitsFromPb(limits: TradingLimits): TradingLimitsValue {
  return { dailyLimit: limits.dailyLimit || null, positionSizeLimit: limits.positionSizeLimit || null, currency: limits.currency };
}

function tradingLimitsToPb(limits: TradingLimitsValue): MessageInitShape<typeof TradingLimitsSchema> {
  return { dailyLimit: limits.dailyLimit ?? "", positionSizeLimit: limits.positionSizeLimit ?? "", currency: limits.currency };
}

/** complianceProfileToPb is the API shape of a compliance profile, shared by every RPC that answers with one. */
export function complianceProfileToPb(profile: ComplianceProfile): Omit<MessageInitShape<typeof GetComplianceProfileResponseSchema>, "$typeName"> {
  return {
    userId: profile.userId,
    kycStatus: kycStatuses.forward[profile.kycStatus],
    kycLevel: kycLevels[profile.kycLevel]!,
    riskRating: riskRatings[profile.riskRating],
    riskScore: profile.riskScore,
    sanctionsCheckStatus: sanctionsStatuses[profile.sanctionsStatus],
    pepStatus: pepStatuses[profile.pepStatus],
    eddRequired: profile.eddRequired,
    riskFactors: profile.riskFactors,
    tradingLimits: tradingLimitsToPb(profile.tradingLimits),
    reviewReason: profile.reviewReason ?? "",
    ...(profile.nextReviewAt && { nextReviewAt: timestampFromDate(profile.nextReviewAt) }),
    ...(profile.pendingLimits && {
      pendingTradingLimits: {
        requestId: profile.pendingLimits.requestId,
        tradingLimits: tradingLimitsToPb(profile.pendingLimits.limits),
        requestedByUserId: profile.pendingLimits.requestedBy,
        reason: profile.pendingLimits.reason,
        requestedAt: timestampFromDate(profile.pendingLimits.requestedAt),
      },
    }),
    ...(profile.lastScreenedAt && { lastScreenedAt: timestampFromDate(profile.lastScreenedAt) }),
    ...(profile.updatedAt && { updatedAt: timestampFromDate(profile.updatedAt) }),
  };
}
