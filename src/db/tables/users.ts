import type { ColumnType, Generated } from "kysely";
import type { PlatformRole } from "../../shared/principal.js";

export type UserStatusValue = "active" | "suspended" | "locked" | "deactivated" | "pending_verification";
export type VerificationStatusValue = "pending" | "verified" | "requires_additional_verification";
export type RegistrationTypeValue = "email" | "google" | "apple" | "enterprise";
export type InvestmentProfileValue = "conservative" | "moderate" | "aggressive";
export type RiskToleranceValue = "low" | "medium" | "high";
export type { PlatformRole };

export interface UsersTable {
  id: Generated<string>;
  email: string;
  full_name: string;
  status: UserStatusValue;
  verification_status: VerificationStatusValue;
  registration_type: RegistrationTypeValue;
  investment_profile: InvestmentProfileValue;
  risk_tolerance: RiskToleranceValue;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface CredentialsTable {
  id: Generated<string>;
  user_id: string;
  kind: "password" | "oidc";
  password_hash: string | null;
  oidc_issuer: string | null;
  oidc_subject: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface PlatformRoleGrantsTable {
  user_id: string;
  role: PlatformRole;
  granted_at: ColumnType<Date, Date | undefined, never>;
}
