import { randomBytes } from "node:crypto";
import { createClient, type Client } from "@connectrpc/connect";
import { OrganizationService, OrganizationType, SubscriptionTier } from "../../gen/platform/user/v1/organization_service_pb.js";
import type { OrganizationRole } from "../../src/features/authorization/index.js";
import type { TestApp } from "./app.js";
import type { RegisteredUser } from "./factories.js";

/** organizationsClient is an OrganizationService client calling as the token's user. */
export function organizationsClient(t: TestApp, token: string): Client<typeof OrganizationService> {
  return createClient(OrganizationService, t.transport({ token }));
}

/** uniqueOrganizationName is a fresh valid organization name. */
export const uniqueOrganizationName = (label = "org") => `${label}-${randomBytes(5).toString("hex")}`;

/** createOrganization creates an organization with the user as its admin and returns its id. */
export async function createOrganization(t: TestApp, admin: RegisteredUser, name = uniqueOrganizationName()): Promise<string> {
  const { organization } = await organizationsClient(t, admin.accessToken).createOrganization({
    name,
    displayName: "Test Trading",
    organizationType: OrganizationType.TRADING_FIRM,
    subscriptionTier: SubscriptionTier.ENTERPRISE,
  });
  return organization!.organizationId;
}

/**
 * addMember makes a user a member straight in the database, as an accepted invitation does, so a
 * test can set up an organization's members without going through invitations.
 */
export async function addMember(t: TestApp, organizationId: string, user: { userId: string }, role: OrganizationRole, managerUserId: string | null = null): Promise<void> {
  await t.db.insertInto("organization_members").values({ organization_id: organizationId, user_id: user.userId, role, manager_user_id: managerUserId }).execute();
}
