import type { Principal } from "../../shared/principal.js";
import { hasPlatformPermission, type MembershipLookup } from "../authorization/index.js";
import * as errors from "./compliance.errors.js";

/**
 * ComplianceAccess finishes what authorization starts for organization-scoped compliance calls:
 * authorization let an organization's officer through for the organization the request names;
 * this checks the user acted on is a member of it. Platform officers act on anyone.
 */
export class ComplianceAccess {
  constructor(private readonly memberships: MembershipLookup) {}

  /** ensureMayActOn refuses an organization's officer a user outside the organization they named. */
  async ensureMayActOn(caller: Principal, userId: string, organizationId: string | undefined, permission: string): Promise<void> {
    if (hasPlatformPermission(caller.platformRoles, permission)) return;
    if (!organizationId || (await this.memberships.roleIn(userId, organizationId)) === undefined) throw errors.notOrganizationMember();
  }
}
