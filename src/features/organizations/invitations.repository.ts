import { sql, type Insertable, type Selectable } from "kysely";
import type { DbOrTx, Tx } from "../../db/database.js";
import type { OrganizationInvitationsTable, OrganizationMemberRequestsTable } from "../../db/tables/organizations.js";
import type { PagePosition } from "../../shared/page-token.js";

/** InvitationRow is a stored invitation. */
export type InvitationRow = Selectable<OrganizationInvitationsTable>;

/** MemberRequestRow is a stored member request. */
export type MemberRequestRow = Selectable<OrganizationMemberRequestsTable>;

/** replacePendingInvitation marks the organization's pending invitation of the address, if any, replaced. */
export async function replacePendingInvitation(trx: Tx, organizationId: string, email: string): Promise<void> {
  await trx
    .updateTable("organization_invitations")
    .set({ status: "replaced" })
    .where("organization_id", "=", organizationId)
    .where("email", "=", email)
    .where("status", "=", "pending")
    .execute();
}

/** insertInvitation stores an invitation; organization_invitations_one_pending refuses a second pending one for the address. */
export function insertInvitation(trx: Tx, invitation: Insertable<OrganizationInvitationsTable>): Promise<InvitationRow> {
  return trx.insertInto("organization_invitations").values(invitation).returningAll().executeTakeFirstOrThrow();
}

/** lockInvitationByHash reads the invitation whose token has this hash and locks it until trx ends, so it is accepted once. */
export function lockInvitationByHash(trx: Tx, tokenHash: Buffer): Promise<InvitationRow | undefined> {
  return trx.selectFrom("organization_invitations").selectAll().where("token_hash", "=", tokenHash).forUpdate().executeTakeFirst();
}

/** markInvitationAccepted records who accepted the invitation and when. */
export async function markInvitationAccepted(trx: Tx, invitationId: string, userId: string, now: Date): Promise<void> {
  await trx.updateTable("organization_invitations").set({ status: "accepted", accepted_by: userId, accepted_at: now }).where("id", "=", invitationId).execute();
}

/** insertMemberRequest files a request; organization_member_requests_one_pending refuses a second pending one of a kind for the person. */
export function insertMemberRequest(trx: Tx, request: Insertable<OrganizationMemberRequestsTable>): Promise<MemberRequestRow> {
  return trx.insertInto("organization_member_requests").values(request).returningAll().executeTakeFirstOrThrow();
}

/** findPendingRequests pages through the organization's pending requests, oldest first, after the given position. */
export function findPendingRequests(db: DbOrTx, organizationId: string, limit: number, after?: PagePosition): Promise<MemberRequestRow[]> {
  let query = db.selectFrom("organization_member_requests").selectAll().where("organization_id", "=", organizationId).where("status", "=", "pending");
  if (after) query = query.where(sql<boolean>`(created_at, id) > (${after.at}, ${after.id})`);
  return query.orderBy("created_at").orderBy("id").limit(limit).execute();
}

/** lockRequest reads one of the organization's requests, whatever its status, and locks it until trx ends, so it is decided once. */
export function lockRequest(trx: Tx, organizationId: string, requestId: string): Promise<MemberRequestRow | undefined> {
  return trx.selectFrom("organization_member_requests").selectAll().where("organization_id", "=", organizationId).where("id", "=", requestId).forUpdate().executeTakeFirst();
}

/** decideRequest records the decision on a request. */
export async function decideRequest(trx: Tx, requestId: string, decision: { status: "approved" | "rejected"; decidedBy: string; now: Date; reason: string | null }): Promise<void> {
  await trx
    .updateTable("organization_member_requests")
    .set({ status: decision.status, decided_by: decision.decidedBy, decided_at: decision.now, reason: decision.reason })
    .where("id", "=", requestId)
    .execute();
}
