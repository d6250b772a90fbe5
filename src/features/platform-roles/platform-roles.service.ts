import type { Db } from "../../db/database.js";
import { transaction } from "../../db/transaction.js";
import { DomainError } from "../../shared/domain-error.js";
import { normalizeEmail } from "../../shared/email.js";
import { PLATFORM_ROLES, type PlatformRole } from "../../shared/principal.js";
import type { AuditLog } from "../audit/index.js";
import { findAccountByEmail } from "../profile/index.js";
import { insertGrant } from "./platform-roles.repository.js";

/** isPlatformRole says whether value names a platform role. */
export const isPlatformRole = (value: string): value is PlatformRole => (PLATFORM_ROLES as readonly string[]).includes(value);

/**
 * grantPlatformRole gives the account with this e-mail a platform role, recorded in the audit trail
 * with no actor (an operator at the console). Granting a role already held changes nothing.
 */
export async function grantPlatformRole(db: Db, audit: AuditLog, email: string, role: PlatformRole): Promise<{ userId: string; granted: boolean }> {
  return transaction(db, async (trx) => {
    const user = await findAccountByEmail(trx, normalizeEmail(email));
    if (!user) throw new DomainError("not_found", "user_not_found", `no account with email ${email}`);
    const granted = await insertGrant(trx, user.userId, role);
    if (granted) {
      await audit.record(trx, {
        actorUserId: null,
        action: "platform_role.grant",
        resourceType: "user",
        resourceId: user.userId,
        newValues: { role },
        reason: "granted with user-service grant-role",
        origin: {},
        complianceRelevant: true,
      });
    }
    return { userId: user.userId, granted };
  });
}
