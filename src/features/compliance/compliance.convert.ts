import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { KycLevel, KycStatus, PepStatus, RiskRating, SanctionsCheckStatus, type GetComplianceProfileResponseSchema } from "../../../gen/platform/user/v1/compliance_service_pb.js";
import type { KycStatusValue, PepStatusValue, SanctionsStatusValue } from "../../db/tables/compliance.js";
import type { ComplianceProfile } from "./compliance.service.js";
import type { RiskRatingValue } from "./risk-rating.js";

const kycStatuses: Record<KycStatusValue, KycStatus> = {
  not_started: KycStatus.NOT_STARTED,
  pending: KycStatus.PENDING,
  approved: KycStatus.APPROVED,
  rejected: KycStatus.REJECTED,
  expired: KycStatus.EXPIRED,
};
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

/** complianceProfileToPb is the API shape of a compliance profile, shared by every RPC that answers with one. */
export function complianceProfileToPb(profile: ComplianceProfile): MessageInitShape<typeof GetComplianceProfileResponseSchema> {
  return {
    userId: profile.userId,
    kycStatus: kycStatuses[profile.kycStatus],
    kycLevel: kycLevels[profile.kycLevel]!,
    riskRating: riskRatings[profile.riskRating],
    riskScore: profile.riskScore,
    sanctionsCheckStatus: sanctionsStatuses[profile.sanctionsStatus],
    pepStatus: pepStatuses[profile.pepStatus],
    eddRequired: profile.eddRequired,
    riskFactors: profile.riskFactors,
    ...(profile.lastScreenedAt && { lastScreenedAt: timestampFromDate(profile.lastScreenedAt) }),
    ...(profile.updatedAt && { updatedAt: timestampFromDate(profile.updatedAt) }),
  };
}
