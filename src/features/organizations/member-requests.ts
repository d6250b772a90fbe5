import type { Tx } from "../../db/database.js";
import { isUniqueViolation } from "../../db/errors.js";
import type { OrganizationRole } from "../authorization/index.js";
import * as errors from "./organizations.errors.js";
import { insertMemberRequest } from "./invitations.repository.js";

/**
 * fileRoleGrant files a request to give a member the admin or compliance role, for an admin other
 * than the requester to approve, and returns its id. A member has one pending grant at a time.
 */
export async function fileRoleGrant(trx: Tx, grant: { organizationId: string; userId: string; role: OrganizationRole; requestedBy: string; now: Date }): Promise<string> {
  try {
    const request = await insertMemberRequest(trx, {
      organization_id: grant.organizationId,
      kind: "role_grant",
      user_id: grant.userId,
      role: grant.role,
      requested_by: grant.requestedBy,
      created_at: grant.now,
    });
    return request.id;
  } catch (error) {
    if (isUniqueViolation(error, "organization_member_requests_one_pending")) throw errors.roleGrantPending();
    throw error;
  }
}
