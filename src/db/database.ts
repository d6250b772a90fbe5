import type { Kysely, Transaction } from "kysely";
import type { UserActivitiesTable, UserMetricsTable } from "./tables/activity.js";
import type { AuditCheckpointsTable, AuditLaneHeadsTable, AuditTrailTable } from "./tables/audit.js";
import type { ComplianceProfilesTable, TradingLimitRequestsTable } from "./tables/compliance.js";
import type { MfaBackupCodesTable, MfaChallengesTable, MfaCodeBudgetsTable, MfaMethodsTable, MfaSmsCodesTable } from "./tables/mfa.js";
import type { DeadLettersTable, JobSchedulesTable, OutboxTable } from "./tables/outbox.js";
import type { RefreshTokensTable, SessionsTable, TrustedDevicesTable } from "./tables/sessions.js";
import type { OrganizationInvitationsTable, OrganizationMemberRequestsTable, OrganizationMembersTable, OrganizationsTable } from "./tables/organizations.js";
import type { UserStatusHistoryTable } from "./tables/lifecycle.js";
import type { OnboardingsTable } from "./tables/onboarding.js";
import type { UserPreferencesTable } from "./tables/preferences.js";
import type { CredentialsTable, PlatformRoleGrantsTable, UsersTable } from "./tables/users.js";

/** Database lists every table the service reads or writes, keyed by table name. */
export interface Database {
  users: UsersTable;
  credentials: CredentialsTable;
  platform_role_grants: PlatformRoleGrantsTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  audit_trail: AuditTrailTable;
  audit_lane_heads: AuditLaneHeadsTable;
  audit_checkpoints: AuditCheckpointsTable;
  user_activities: UserActivitiesTable;
  user_metrics: UserMetricsTable;
  outbox: OutboxTable;
  dead_letters: DeadLettersTable;
  job_schedules: JobSchedulesTable;
  mfa_methods: MfaMethodsTable;
  mfa_backup_codes: MfaBackupCodesTable;
  mfa_challenges: MfaChallengesTable;
  mfa_sms_codes: MfaSmsCodesTable;
  mfa_code_budgets: MfaCodeBudgetsTable;
  trusted_devices: TrustedDevicesTable;
  organizations: OrganizationsTable;
  organization_members: OrganizationMembersTable;
  organization_invitations: OrganizationInvitationsTable;
  organization_member_requests: OrganizationMemberRequestsTable;
  user_preferences: UserPreferencesTable;
  user_status_history: UserStatusHistoryTable;
  onboardings: OnboardingsTable;
  compliance_profiles: ComplianceProfilesTable;
  trading_limit_requests: TradingLimitRequestsTable;
}

/** Db is the database handle; repository functions accept it or a transaction. */
export type Db = Kysely<Database>;
/** Tx is an open transaction; functions that must run inside one take it rather than a Db. */
export type Tx = Transaction<Database>;
/** DbOrTx is what a query that may run in or out of a transaction accepts. */
export type DbOrTx = Db | Tx;
