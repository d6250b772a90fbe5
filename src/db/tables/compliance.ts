import type { ColumnType, Generated } from "kysely";

/** KycStatusValue is where a user's KYC stands, as stored. */
export type KycStatusValue = "not_started" | "pending" | "approved" | "rejected" | "expired";
/** SanctionsStatusValue is the outcome of the last sanctions screening, as stored. */
export type SanctionsStatusValue = "not_checked" | "pending" | "clear" | "potential_match" | "confirmed_match";
/** PepStatusValue is the outcome of the last PEP screening, as stored. */
export type PepStatusValue = "not_checked" | "pending" | "not_pep" | "pep" | "related";

/** ComplianceProfilesTable is a user's verification, screening and risk assessment, one row per user. */
export interface ComplianceProfilesTable {
  user_id: string;
  kyc_status: ColumnType<KycStatusValue, KycStatusValue | undefined, KycStatusValue>;
  /** 0 (nothing verified) to 3 (enhanced due diligence). */
  kyc_level: ColumnType<number, number | undefined, number>;
  sanctions_status: ColumnType<SanctionsStatusValue, SanctionsStatusValue | undefined, SanctionsStatusValue>;
  pep_status: ColumnType<PepStatusValue, PepStatusValue | undefined, PepStatusValue>;
  screening_matches: ColumnType<unknown[], string | undefined, string>;
  last_screened_at: Date | null;
  /** Why identity verification asked for more, as reason codes; empty once verified. */
  verification_reasons: ColumnType<string[], string | undefined, string>;
  /** The verification provider that decided last. */
  verified_by: string | null;
  risk_score: ColumnType<number, number | undefined, number>;
  /** What makes up risk_score: [{code, weight}]. */
  risk_factors: ColumnType<Array<{ code: string; weight: number }>, string | undefined, string>;
  edd_required: ColumnType<boolean, boolean | undefined, boolean>;
  review_reason: string | null;
  /** The screening queued by ScreenUser and not finished yet (its job id). */
  pending_screening_id: ColumnType<string | null, string | null | undefined, string | null>;
  review_requested_at: Date | null;
  /** The limits set with SetTradingLimits (decimal strings; null: no per-user limit), in force once limits_set_at is set; until then the KYC level's defaults apply. */
  daily_limit: ColumnType<string | null, string | null | undefined, string | null>;
  position_size_limit: ColumnType<string | null, string | null | undefined, string | null>;
  limits_currency: ColumnType<string | null, string | null | undefined, string | null>;
  limits_set_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  next_review_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The risk score when the profile was last reviewed (or created): a rating risen above it opens a review. */
  reviewed_risk_score: ColumnType<number | null, number | null | undefined, number | null>;
  /** When the risk-scoring job last scored the user. */
  scored_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** When the current high-risk episode began (the score at or above HIGH_RISK_THRESHOLD); null outside one. */
  high_risk_since: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The episode's security alert, temporary lock and step-up, each run once. */
  alerted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  locked_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  step_up_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The next sign-ins need a second factor, whatever the device, until a KYC decision clears it. */
  step_up_required: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: ColumnType<Date, Date, never>;
  updated_at: ColumnType<Date, Date, Date>;
}

/** TradingLimitRequestStatus is where a request for limits stands. */
export type TradingLimitRequestStatus = "pending" | "approved" | "rejected" | "superseded";

/** TradingLimitRequestsTable is a change of limits waiting for, or decided by, a second compliance officer. */
export interface TradingLimitRequestsTable {
  id: Generated<string>;
  user_id: string;
  daily_limit: string | null;
  position_size_limit: string | null;
  currency: string;
  reason: string;
  requested_by: string;
  requested_at: Date;
  status: ColumnType<TradingLimitRequestStatus, TradingLimitRequestStatus | undefined, TradingLimitRequestStatus>;
  decided_by: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
}
