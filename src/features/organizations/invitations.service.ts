import type { Db, Tx } from "../../db/database.js";
import type { DepartmentValue } from "../../db/tables/organizations.js";
import { isUniqueViolation } from "../../db/errors.js";
import { afterCommit, transaction } from "../../db/transaction.js";
import type { Clock } from "../../platform/clock.js";
import { randomToken, sha256 } from "../../platform/crypto/random.js";
import { normalizeEmail } from "../../shared/email.js";
import { pageOf, readPageToken } from "../../shared/page-token.js";
import type { Principal } from "../../shared/principal.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import type { AuditLog } from "../audit/index.js";
import type { OrganizationRole } from "../authorization/index.js";
import {
  decideRequest,
  findPendingRequests,
  insertInvitation,
  insertMemberRequest,
  lockInvitationByHash,
  lockRequest,
  markInvitationAccepted,
  replacePendingInvitation,
  type MemberRequestRow,
} from "./invitations.repository.js";
import { actingRole, GIVING_ROLES } from "./member-rules.js";
import * as errors from "./organizations.errors.js";
import { findMember, findOrganization, insertMember, isManagedBy, lockOrganization, updateMember } from "./organizations.repository.js";
import { memberView, type MemberView, type People } from "./organizations.service.js";

/** INVITATION_TTL_MS is how long an invitation may be accepted: seven days. */
const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

/** NewInvitation is what InviteMember asks for. */
export interface NewInvitation {
  email: string;
  role: OrganizationRole;
  department: DepartmentValue | null;
  managerUserId: string | null;
}

/** IssuedInvitation is an invitation's id and its secret, shown once. */
export interface IssuedInvitation {
  invitationId: string;
  token: string;
  expiresAt: Date;
}

/** Acceptance is what accepting an invitation did: joined the organization, or filed a request to join it. */
export interface Acceptance {
  organizationId: string;
  /** The join request waiting for approval; undefined when the user joined. */
  pendingRequestId: string | undefined;
}

/** MemberRequestView is a pending member request with its person's e-mail address and name. */
export interface MemberRequestView {
  id: string;
  kind: MemberRequestRow["kind"];
  userId: string;
  email: string;
  fullName: string;
  role: OrganizationRole;
  department: DepartmentValue | null;
  managerUserId: string | null;
  requestedBy: string | null;
  createdAt: Date;
}

/** InvitationsDependencies are what Invitations needs. */
export interface InvitationsDependencies {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  people: People;
}

/** invitationTokenHash is what an invitation token is stored and looked up as. */
const invitationTokenHash = (token: string) => sha256(token);

/**
 * Invitations brings people into organizations: an invitation bound to an e-mail address, accepted
 * once within seven days, and the member requests that wait for approval — joins in an organization
 * that requires approval, and grants of the admin or compliance role, which need an admin other
 * than their requester (four-eyes). Decisions take turns on the organization's row lock.
 */
export class Invitations {
  constructor(private readonly deps: InvitationsDependencies) {}

  /**
   * invite creates an invitation, replacing a pending one for the same address. Managers invite
   * traders and viewers only, under themselves (by default) or a member they manage.
   */
  async invite(caller: Principal, organizationId: string, input: NewInvitation, origin: RequestOrigin): Promise<IssuedInvitation> {
    const { db, clock, audit, people } = this.deps;
    const email = normalizeEmail(input.email);
    const now = clock.now();
    const token = randomToken();
    // Looked up before the transaction: a second connection taken while holding one could leave
    // every pooled connection waiting for another under load.
    const existing = await people.idOf(email);
    return transaction(db, async (trx) => {
      if (!(await lockOrganization(trx, organizationId))) throw errors.organizationNotFound();
      const acting = await actingRole(trx, caller, organizationId);
      let managerUserId = input.managerUserId;
      if (acting === "manager") {
        if (!GIVING_ROLES[input.role].byManager) throw errors.roleBeyondManager();
        managerUserId ??= caller.userId;
        if (managerUserId !== caller.userId && !(await isManagedBy(trx, organizationId, managerUserId, caller.userId))) throw errors.managerOutsideReach();
      }
      if (managerUserId && !(await findMember(trx, organizationId, managerUserId))) throw errors.managerNotMember();
      if (existing && (await findMember(trx, organizationId, existing))) throw errors.alreadyMember();
      await replacePendingInvitation(trx, organizationId, email);
      const invitation = await insertInvitation(trx, {
        organization_id: organizationId,
        email,
        role: input.role,
        department: input.department,
        manager_user_id: managerUserId,
        token_hash: invitationTokenHash(token),
        invited_by: caller.userId,
        created_at: now,
        expires_at: new Date(now.getTime() + INVITATION_TTL_MS),
      });
      await audit.record(trx, {
        actorUserId: caller.userId,
        action: "organization.invite",
        resourceType: "organization_invitation",
        resourceId: invitation.id,
        organizationId,
        newValues: { email, role: input.role, department: input.department, managerUserId, expiresAt: invitation.expires_at.toISOString() },
        origin,
      });
      return { invitationId: invitation.id, token, expiresAt: invitation.expires_at };
    });
  }

  /** accept accepts an invitation for the signed-in user (AcceptInvitation). */
  async accept(userId: string, token: string, origin: RequestOrigin): Promise<Acceptance> {
    const email = (await this.deps.people.describe([userId])).get(userId)?.email ?? "";
    return transaction(this.deps.db, (trx) => this.acceptWithin(trx, token, { userId, email }, origin));
  }

  /**
   * acceptWithin accepts an invitation inside trx, so Register can create the user and join them
   * in one transaction: either both happen or neither. The invitation row stays locked until trx
   * ends, so it is accepted once. The user must have the invited address. In an organization that
   * requires approval, or for the admin or compliance role, acceptance files a join request.
   */
  async acceptWithin(trx: Tx, token: string, user: { userId: string; email: string }, origin: RequestOrigin): Promise<Acceptance> {
    const { clock, audit, people } = this.deps;
    const now = clock.now();
    const invitation = await lockInvitationByHash(trx, invitationTokenHash(token));
    if (!invitation) throw errors.invitationNotFound();
    if (invitation.email !== normalizeEmail(user.email)) throw errors.invitationForSomeoneElse();
    if (invitation.status !== "pending" || invitation.expires_at <= now) throw errors.invitationNotUsable();
    const organizationId = invitation.organization_id;
    if (await findMember(trx, organizationId, user.userId)) throw errors.alreadyMember();
    await markInvitationAccepted(trx, invitation.id, user.userId, now);
    const organization = await findOrganization(trx, organizationId);
    let pendingRequestId: string | undefined;
    if (organization?.requires_approval || GIVING_ROLES[invitation.role].needsSecondAdmin) {
      pendingRequestId = await fileJoin(trx, {
        organization_id: organizationId,
        kind: "join",
        user_id: user.userId,
        role: invitation.role,
        department: invitation.department,
        manager_user_id: invitation.manager_user_id,
        requested_by: invitation.invited_by,
        invitation_id: invitation.id,
        created_at: now,
      });
    } else {
      await insertMember(trx, {
        organization_id: organizationId,
        user_id: user.userId,
        role: invitation.role,
        department: invitation.department,
        manager_user_id: invitation.manager_user_id,
        joined_at: now,
      });
      afterCommit(trx, () => people.forget(user.userId));
    }
    await audit.record(trx, {
      actorUserId: user.userId,
      action: "organization.invitation_accept",
      resourceType: "organization_invitation",
      resourceId: invitation.id,
      organizationId,
      newValues: { role: invitation.role, joined: pendingRequestId === undefined, ...(pendingRequestId && { pendingRequestId }) },
      origin,
    });
    return { organizationId, pendingRequestId };
  }

  /** listRequests pages through the organization's pending member requests, oldest first. */
  async listRequests(organizationId: string, limit: number, pageToken: string): Promise<{ requests: MemberRequestView[]; nextPageToken: string }> {
    const { db, people } = this.deps;
    const rows = await findPendingRequests(db, organizationId, limit + 1, pageToken ? readPageToken(pageToken) : undefined);
    const { page, nextPageToken } = pageOf(rows, limit, (row) => ({ at: row.created_at, id: row.id }));
    const names = await people.describe(page.map((row) => row.user_id));
    return {
      requests: page.map((row) => ({
        id: row.id,
        kind: row.kind,
        userId: row.user_id,
        email: names.get(row.user_id)?.email ?? "",
        fullName: names.get(row.user_id)?.fullName ?? "",
        role: row.role,
        department: row.department,
        managerUserId: row.manager_user_id,
        requestedBy: row.requested_by,
        createdAt: row.created_at,
      })),
      nextPageToken,
    };
  }

  /** approve approves a pending request: the person joins, or the member gets the role. */
  async approve(caller: Principal, organizationId: string, requestId: string, origin: RequestOrigin): Promise<MemberView> {
    const { db, clock, audit, people } = this.deps;
    const now = clock.now();
    const member = await transaction(db, async (trx) => {
      const request = await this.lockedRequest(trx, caller, organizationId, requestId);
      let member;
      if (request.kind === "join") {
        if (await findMember(trx, organizationId, request.user_id)) throw errors.alreadyMember();
        // The manager named at invitation may have left since: the newcomer then starts without one.
        const manager = request.manager_user_id && (await findMember(trx, organizationId, request.manager_user_id)) ? request.manager_user_id : null;
        member = await insertMember(trx, { organization_id: organizationId, user_id: request.user_id, role: request.role, department: request.department, manager_user_id: manager, joined_at: now });
      } else {
        if (!(await findMember(trx, organizationId, request.user_id))) throw errors.memberNotFound();
        member = await updateMember(trx, organizationId, request.user_id, { role: request.role });
      }
      await decideRequest(trx, request.id, { status: "approved", decidedBy: caller.userId, now, reason: null });
      afterCommit(trx, () => people.forget(request.user_id));
      await audit.record(trx, {
        actorUserId: caller.userId,
        action: "organization.member_request_approve",
        resourceType: "organization_member",
        resourceId: request.user_id,
        organizationId,
        newValues: requestValues(request),
        origin,
      });
      return member;
    });
    const names = await people.describe([member.user_id]);
    return memberView(member, names.get(member.user_id));
  }

  /** reject rejects a pending request with a reason. */
  async reject(caller: Principal, organizationId: string, requestId: string, reason: string, origin: RequestOrigin): Promise<void> {
    const { db, clock, audit } = this.deps;
    await transaction(db, async (trx) => {
      const request = await this.lockedRequest(trx, caller, organizationId, requestId);
      await decideRequest(trx, request.id, { status: "rejected", decidedBy: caller.userId, now: clock.now(), reason });
      await audit.record(trx, {
        actorUserId: caller.userId,
        action: "organization.member_request_reject",
        resourceType: "organization_member",
        resourceId: request.user_id,
        organizationId,
        newValues: requestValues(request),
        reason,
        origin,
      });
    });
  }

  /**
   * lockedRequest locks the organization and the pending request, and checks the caller may decide
   * it: the admin and compliance roles only by an admin who did not make the request, joins by an
   * admin, or by a manager when the role is one a manager may give.
   */
  private async lockedRequest(trx: Tx, caller: Principal, organizationId: string, requestId: string): Promise<MemberRequestRow> {
    if (!(await lockOrganization(trx, organizationId))) throw errors.organizationNotFound();
    const request = await lockRequest(trx, organizationId, requestId);
    if (!request) throw errors.requestNotFound();
    if (request.status !== "pending") throw errors.requestDecided();
    const acting = await actingRole(trx, caller, organizationId);
    if (GIVING_ROLES[request.role].needsSecondAdmin) {
      if (acting !== "admin" || request.requested_by === caller.userId) throw errors.secondAdminRequired();
    } else if (acting === "manager" && !GIVING_ROLES[request.role].byManager) {
      throw errors.managerMayNotDecide();
    }
    return request;
  }
}

/** requestValues are the audited fields of a decided request. */
const requestValues = (request: MemberRequestRow) => ({ requestId: request.id, kind: request.kind, role: request.role, requestedBy: request.requested_by });

/** fileJoin files a join request; a person has one pending at a time. */
async function fileJoin(trx: Tx, request: Parameters<typeof insertMemberRequest>[1]): Promise<string> {
  try {
    return (await insertMemberRequest(trx, request)).id;
  } catch (error) {
    if (isUniqueViolation(error, "organization_member_requests_one_pending")) throw errors.joinPending();
    throw error;
  }
}
