import type { Db } from "../../db/database.js";
import type { KycStatusValue, PepStatusValue, SanctionsStatusValue } from "../../db/tables/compliance.js";
import type { ProfileService } from "../profile/index.js";
import { findComplianceProfile } from "./compliance.repository.js";
import { riskRatingOf, type RiskRatingValue } from "./risk-rating.js";

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
  lastScreenedAt: Date | undefined;
  updatedAt: Date | undefined;
}

/** ComplianceProfiles reads users' compliance profiles. */
export class ComplianceProfiles {
  constructor(
    private readonly db: Db,
    private readonly profiles: ProfileService,
  ) {}

  /** get reads a user's profile; a user never verified reads as never screened, with nothing verified. Unknown users are NOT_FOUND. */
  async get(userId: string): Promise<ComplianceProfile> {
    const row = await findComplianceProfile(this.db, userId);
    if (!row) {
      await this.profiles.get(userId); // NOT_FOUND for no such user
      return {
        userId,
        kycStatus: "not_started",
        kycLevel: 0,
        riskScore: 0,
        riskRating: "low",
        riskFactors: [],
        sanctionsStatus: "not_checked",
        pepStatus: "not_checked",
        eddRequired: false,
        lastScreenedAt: undefined,
        updatedAt: undefined,
      };
    }
    return {
      userId,
      kycStatus: row.kyc_status,
      kycLevel: row.kyc_level,
      riskScore: row.risk_score,
      riskRating: riskRatingOf(row.risk_score),
      riskFactors: row.risk_factors.map((factor) => factor.code),
      sanctionsStatus: row.sanctions_status,
      pepStatus: row.pep_status,
      eddRequired: row.edd_required,
      lastScreenedAt: row.last_screened_at ?? undefined,
      updatedAt: row.updated_at,
    };
  }
}
