import type { Db, Tx } from "../../db/database.js";
import { transaction } from "../../db/transaction.js";
import type { Clock } from "../../platform/clock.js";
import { pageOf, readPageToken } from "../../shared/page-token.js";
import type { Principal } from "../../shared/principal.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import { mayUseAccount, type UserStatusValue } from "../../shared/user-status.js";
import type { AuditLog } from "../audit/index.js";
import { hasPlatformPermission, type MembershipLookup } from "../authorization/index.js";
import type { MemberIds } from "../organizations/index.js";
import type { ProfileService, UserSummary } from "../profile/index.js";
import type { Sessions } from "../sessions/index.js";
import * as errors from "./lifecycle.errors.js";
import { findStatusChanges, insertStatusChange, type StatusChangeRow } from "./lifecycle.repository.js";

/**
 * ALLOWED_MOVES is the lifecycle's transition table, as "from>to". Nothing moves an account back
 * to pending verification: only identity verification decides that.
 */
const ALLOWED_MOVES: ReadonlySet<string> = new Set([
  "pending_verification>active",
  "pending_verification>suspended",
  "pending_verification>deactivated",
  "active>suspended",
  "active>locked",
  "active>deactivated",
  "suspended>active",
  "suspended>deactivated",
  "locked>active",
  "locked>suspended",
  "locked>deactivated",
  "deactivated>active",
]);

/** mayMove says whether the lifecycle allows moving an account from one status to another. */
export const mayMove = (from: UserStatusValue, to: UserStatusValue) => ALLOWED_MOVES.has(`${from}>${to}`);

/** What an organization admin may do to a member: suspend and reactivate. */
const ORGANIZATION_ADMIN_MOVES: Record<UserStatusValue, boolean> = {
  active: true,
  suspended: true,
  locked: false,
  deactivated: false,
  pending_verification: false,
};

/** StatusUpdate is what UpdateUserStatus asks for. */
export interface StatusUpdate {
  userId: string;
  newStatus: UserStatusValue;
  reason: string;
  /** The organization an organization admin acts through; undefined for platform operators. */
  organizationId: string | undefined;
  lockedUntil: Date | undefined;
}

/** UserLifecycleDependencies are what UserLifecycle needs. */
export interface UserLifecycleDependencies {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  profiles: ProfileService;
  sessions: Sessions;
  memberships: MembershipLookup;
  /** The member ids of an organization, as a subquery for ListUsers to filter by. */
  members: { memberIds(organizationId: string): MemberIds };
}

/** UserQuery is what ListUsers asks for. */
export interface UserQuery {
  status?: UserStatusValue;
  emailPrefix?: string;
  organizationId?: string;
}

/**
 * UserLifecycle moves accounts through their lifecycle by an explicit transition table, records
 * every change in the status history and the audit trail, and ends every session of an account
 * that may no longer be used, on every replica at once.
 */
export class UserLifecycle {
  constructor(private readonly deps: UserLifecycleDependencies) {}

  /** updateStatus makes one status change for an operator (a platform role) or an organization admin. */
  async updateStatus(caller: Principal, update: StatusUpdate, origin: RequestOrigin): Promise<StatusChangeRow> {
    const { db, clock, audit, profiles, sessions, memberships } = this.deps;
    const { userId, newStatus, reason } = update;
    if (userId === caller.userId) throw errors.ownStatus();
    const now = clock.now();
    const lockedUntil = update.lockedUntil ?? null;
    if (lockedUntil && (newStatus !== "locked" || lockedUntil <= now)) throw errors.lockEndInvalid();
    if (!hasPlatformPermission(caller.platformRoles, "users.status.update")) {
      // Authorization let the caller through as an admin of update.organizationId.
      if (!ORGANIZATION_ADMIN_MOVES[newStatus]) throw errors.beyondOrganizationAdmin();
      if ((await memberships.roleIn(userId, update.organizationId!)) === undefined) throw errors.notOrganizationMember();
    }
    return transaction(db, async (trx) => {
      const previous = await profiles.lockStatus(trx, userId);
      if (!previous) throw errors.userNotFound();
      if (previous === newStatus) throw errors.sameStatus(newStatus);
      if (!mayMove(previous, newStatus)) throw errors.illegalTransition(previous, newStatus);
      await profiles.setStatus(trx, userId, newStatus, lockedUntil);
      const change = await insertStatusChange(trx, {
        user_id: userId,
        previous_status: previous,
        new_status: newStatus,
        reason,
        changed_by: caller.userId,
        locked_until: lockedUntil,
        created_at: now,
      });
      const revokedSessions = mayUseAccount(newStatus) ? 0 : await sessions.revokeAllOf(trx, userId, `account_${newStatus}`);
      sessions.standingChanged(trx, userId);
      await audit.record(trx, {
        actorUserId: caller.userId,
        action: "user.status_change",
        resourceType: "user",
        resourceId: userId,
        organizationId: update.organizationId,
        oldValues: { status: previous },
        newValues: { status: newStatus, ...(lockedUntil && { lockedUntil: lockedUntil.toISOString() }), revokedSessions },
        reason,
        origin,
        complianceRelevant: true,
      });
      return change;
    });
  }

  /**
   * moveWithin makes a status change another feature decides (identity verification or a KYC
   * approval activating an account, the security protocols locking one) inside the caller's
   * transaction, if the account is still in `from`; it says whether it moved. It is recorded like an
   * operator's change, in the history and the audit trail, by the officer who decided, or by no one
   * for the service itself; a status that may not use the account ends its sessions.
   */
  async moveWithin(
    trx: Tx,
    change: { userId: string; from: UserStatusValue; to: UserStatusValue; reason: string; actorUserId: string | null; origin: RequestOrigin; lockedUntil?: Date },
  ): Promise<boolean> {
    const { clock, audit, profiles, sessions } = this.deps;
    const { userId, from, to, reason, actorUserId, origin } = change;
    const lockedUntil = change.lockedUntil ?? null;
    if ((await profiles.lockStatus(trx, userId)) !== from) return false;
    await profiles.setStatus(trx, userId, to, lockedUntil);
    await insertStatusChange(trx, { user_id: userId, previous_status: from, new_status: to, reason, changed_by: actorUserId, locked_until: lockedUntil, created_at: clock.now() });
    const revokedSessions = mayUseAccount(to) ? 0 : await sessions.revokeAllOf(trx, userId, `account_${to}`);
    sessions.standingChanged(trx, userId);
    await audit.record(trx, {
      actorUserId,
      action: "user.status_change",
      resourceType: "user",
      resourceId: userId,
      oldValues: { status: from },
      newValues: { status: to, ...(lockedUntil && { lockedUntil: lockedUntil.toISOString() }), ...(revokedSessions && { revokedSessions }) },
      reason,
      origin,
      complianceRelevant: true,
    });
    return true;
  }

  /** listUsers pages through the accounts the query keeps, newest first, for operators. */
  listUsers(query: UserQuery, limit: number, pageToken: string): Promise<{ users: UserSummary[]; nextPageToken: string }> {
    const { status, emailPrefix, organizationId } = query;
    return this.deps.profiles.list({ status, emailPrefix, idsIn: organizationId ? this.deps.members.memberIds(organizationId) : undefined }, limit, pageToken);
  }

  /** history pages through the user's status changes, newest first. */
  async history(userId: string, limit: number, pageToken: string): Promise<{ changes: StatusChangeRow[]; nextPageToken: string }> {
    const rows = await findStatusChanges(this.deps.db, userId, limit + 1, pageToken ? readPageToken(pageToken) : undefined);
    const { page, nextPageToken } = pageOf(rows, limit, (row) => ({ at: row.created_at, id: row.id }));
    return { changes: page, nextPageToken };
  }
}
