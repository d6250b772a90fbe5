import type { Db } from "../../db/database.js";
import { afterCommit, transaction } from "../../db/transaction.js";
import type { Logger } from "../../platform/logger.js";
import type { RevocationBus } from "../../platform/revocation-bus.js";
import { DomainError } from "../../shared/domain-error.js";
import { normalizeEmail } from "../../shared/email.js";
import { PLATFORM_ROLES, type PlatformRole } from "../../shared/principal.js";
import type { AuditLog } from "../audit/index.js";
import { findAccountByEmail } from "../profile/index.js";
import { deleteGrant, insertGrant } from "./platform-roles.repository.js";

/** isPlatformRole says whether value names a platform role. */
export const isPlatformRole = (value: string): value is PlatformRole => (PLATFORM_ROLES as readonly string[]).includes(value);

/** RoleChange is what a grant or a revocation did: changed is false when there was nothing to do. */
export interface RoleChange {
  userId: string;
  changed: boolean;
}

/** PlatformRolesDeps are what PlatformRoles works with. */
export interface PlatformRolesDeps {
  db: Db;
  audit: AuditLog;
  /** Tells every replica that the user's roles changed; a bus nobody listens on where none runs. */
  bus: Pick<RevocationBus, "publishUserChanged">;
  log: Logger;
}

/**
 * PlatformRoles grants and revokes platform roles, from the command line (`user-service
 * grant-role`, `revoke-role`): each change is audited with no actor (an operator at the console)
 * and, once committed, announced to every replica, so it counts from their next call.
 */
export class PlatformRoles {
  constructor(private readonly deps: PlatformRolesDeps) {}

  /** grant gives the account with this e-mail the role; granting a role already held changes nothing. */
  grant(email: string, role: PlatformRole): Promise<RoleChange> {
    return this.change(email, role, "grant");
  }

  /** revoke takes the role from the account with this e-mail; revoking a role not held changes nothing. */
  revoke(email: string, role: PlatformRole): Promise<RoleChange> {
    return this.change(email, role, "revoke");
  }

  private change(email: string, role: PlatformRole, kind: "grant" | "revoke"): Promise<RoleChange> {
    const { db, audit } = this.deps;
    return transaction(db, async (trx) => {
      const user = await findAccountByEmail(trx, normalizeEmail(email));
      if (!user) throw new DomainError("not_found", "user_not_found", `no account with email ${email}`);
      const changed = kind === "grant" ? await insertGrant(trx, user.userId, role) : await deleteGrant(trx, user.userId, role);
      if (!changed) return { userId: user.userId, changed };
      await audit.record(trx, {
        actorUserId: null,
        action: `platform_role.${kind}`,
        resourceType: "user",
        resourceId: user.userId,
        ...(kind === "grant" ? { newValues: { role } } : { oldValues: { role } }),
        reason: `${kind === "grant" ? "granted" : "revoked"} with user-service ${kind}-role`,
        origin: {},
        complianceRelevant: true,
      });
      // Committed either way: a replica that misses the announcement reads the roles again within seconds.
      afterCommit(trx, () =>
        this.deps.bus.publishUserChanged(user.userId).catch((error: unknown) => this.deps.log.warn({ err: error, userId: user.userId }, "could not announce the role change to other replicas")),
      );
      return { userId: user.userId, changed };
    });
  }
}
