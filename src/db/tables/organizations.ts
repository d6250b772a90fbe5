import type { ColumnType, Generated } from "kysely";
import type { OrganizationRole } from "../../shared/organization-roles.js";

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
  /** Whether accepted invitations wait for an admin or manager to approve the new member. */
  requires_approval: ColumnType<boolean, boolean | undefined, boolean>;
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

/** OrganizationInvitationsTable is an invitation to join an organization, bound to an e-mail address; only its token's hash is kept. */
export interface OrganizationInvitationsTable {
  id: Generated<string>;
  organization_id: string;
  /** The invited address, normalised. */
  email: string;
  role: OrganizationRole;
  department: DepartmentValue | null;
  manager_user_id: string | null;
  /** SHA-256 of the invitation token. */
  token_hash: Buffer;
  invited_by: string | null;
  status: ColumnType<"pending" | "accepted" | "replaced", "pending" | undefined, "accepted" | "replaced">;
  created_at: Date;
  expires_at: Date;
  accepted_by: string | null;
  accepted_at: Date | null;
}

/** MemberRequestKindValue is what a member request asks for, as stored. */
export type MemberRequestKindValue = "join" | "role_grant";

/** OrganizationMemberRequestsTable is a change to an organization's members waiting for approval. */
export interface OrganizationMemberRequestsTable {
  id: Generated<string>;
  organization_id: string;
  kind: MemberRequestKindValue;
  user_id: string;
  role: OrganizationRole;
  department: DepartmentValue | null;
  manager_user_id: string | null;
  requested_by: string | null;
  invitation_id: string | null;
  status: ColumnType<"pending" | "approved" | "rejected", "pending" | undefined, "approved" | "rejected">;
  created_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  reason: string | null;
}
