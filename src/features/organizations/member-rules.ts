import type { DbOrTx } from "../../db/database.js";
import type { Principal } from "../../shared/principal.js";
import { hasPlatformPermission, type OrganizationRole } from "../authorization/index.js";
import { findRole } from "./organizations.repository.js";

/**
 * GIVING_ROLES says what it takes to give each role: managers give only roles that neither outrank
 * nor audit them, and the roles that control or review an organization need a second admin's
 * approval (four-eyes).
 */
export const GIVING_ROLES: Record<OrganizationRole, { byManager: boolean; needsSecondAdmin: boolean }> = {
  admin: { byManager: false, needsSecondAdmin: true },
  manager: { byManager: false, needsSecondAdmin: false },
  trader: { byManager: true, needsSecondAdmin: false },
  viewer: { byManager: true, needsSecondAdmin: false },
  compliance: { byManager: false, needsSecondAdmin: true },
};

/**
 * actingRole is the role a caller acts with on an organization's members: admin for a platform
 * role that may manage any organization's members, else their role in the organization.
 */
export async function actingRole(db: DbOrTx, caller: Principal, organizationId: string): Promise<OrganizationRole | undefined> {
  if (hasPlatformPermission(caller.platformRoles, "org.members.update")) return "admin";
  return findRole(db, caller.userId, organizationId);
}
