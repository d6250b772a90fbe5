import type { ColumnType, Generated } from "kysely";
import type { RegistrationTypeValue } from "../../shared/identity-providers.js";
import type { PlatformRole } from "../../shared/principal.js";
import type { UserStatusValue, VerificationStatusValue } from "../../shared/user-status.js";

/** InvestmentProfileValue is a user's declared investment profile, as stored. */
export type InvestmentProfileValue = "conservative" | "moderate" | "aggressive";
/** RiskToleranceValue is a user's declared risk tolerance, as stored. */
export type RiskToleranceValue = "low" | "medium" | "high";

/** UsersTable is an account and its profile; e-mail is unique as normalised. */
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
  /** When a lock ends by itself; only with status locked. Reads see an ended lock as active. */
  locked_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** CredentialsTable is how an account proves itself: an argon2id password hash or an OIDC issuer and subject. */
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

/** PlatformRoleGrantsTable is a platform role granted to a user with `user-service grant-role`. */
export interface PlatformRoleGrantsTable {
  user_id: string;
  role: PlatformRole;
  granted_at: ColumnType<Date, Date | undefined, never>;
}
