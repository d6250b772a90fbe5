import type { ColumnType, Generated } from "kysely";
import type { OrganizationRole } from "../../features/authorization/index.js";

/** OrganizationTypeValue is the kind of business an organization is, as stored. */
export type OrganizationTypeValue = "corporate" | "hedge_fund" | "asset_manager" | "family_office" | "broker_dealer" | "other" | "trading_firm";

/** SubscriptionTierValue is an organization's plan, as stored. */
export type SubscriptionTierValue = "free" | "professional" | "enterprise";

/** DepartmentValue is a member's department, as stored. */
export type DepartmentValue = "trading" | "compliance" | "risk" | "operations";

/** OrganizationsTable is a tenant: a firm whose members trade together. */
export interface OrganizationsTable {
  id: Generated<string>;
  /** Unique, lower-case letters, digits and hyphens. */
  name: string;
  display_name: string;
  organization_type: OrganizationTypeValue;
  subscription_tier: SubscriptionTierValue;
  created_by: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
}

/** OrganizationMembersTable is a user's membership of an organization; the manager is a member of the same one. */
export interface OrganizationMembersTable {
  organization_id: string;
  user_id: string;
  role: OrganizationRole;
  department: DepartmentValue | null;
  manager_user_id: string | null;
  joined_at: ColumnType<Date, Date | undefined, never>;
}
