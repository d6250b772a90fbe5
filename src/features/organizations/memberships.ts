import type { Db } from "../../db/database.js";
import type { MembershipLookup, OrganizationRole } from "../authorization/index.js";
import { findMember, findMembershipsOf, findRole, memberIdsOf, type MemberIds } from "./organizations.repository.js";

/** ProfileMembership is one organization on a user's profile. */
export interface ProfileMembership {
  organizationId: string;
  name: string;
  role: OrganizationRole;
}

/** PROFILE_MEMBERSHIPS_MAX bounds the organizations a profile lists. */
const PROFILE_MEMBERSHIPS_MAX = 1_000;

/**
 * StoredMemberships answers questions about who belongs where from the database on every call: the
 * authorizer's (a role change or a removal counts from the next request on, on every replica) and
 * the profile's list of organizations.
 */
export class StoredMemberships implements MembershipLookup {
  constructor(private readonly db: Db) {}

  roleIn(userId: string, organizationId: string): Promise<OrganizationRole | undefined> {
    return findRole(this.db, userId, organizationId);
  }

  /** membership is the user's role in the organization and who manages them there; undefined when not a member. */
  async membership(userId: string, organizationId: string): Promise<{ role: OrganizationRole; managerUserId: string | null } | undefined> {
    const member = await findMember(this.db, organizationId, userId);
    return member && { role: member.role, managerUserId: member.manager_user_id };
  }

  /** memberIds is a subquery of the ids of the organization's members, to filter other queries by. */
  memberIds(organizationId: string): MemberIds {
    return memberIdsOf(this.db, organizationId);
  }

  /** of lists the organizations the user belongs to, in the order they joined, with their role in each. */
  async of(userId: string): Promise<ProfileMembership[]> {
    const rows = await findMembershipsOf(this.db, userId, PROFILE_MEMBERSHIPS_MAX);
    return rows.map((row) => ({ organizationId: row.id, name: row.name, role: row.role }));
  }
}
