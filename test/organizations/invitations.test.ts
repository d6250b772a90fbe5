import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code } from "@connectrpc/connect";
import { OrgRole } from "../../gen/platform/user/v1/common_pb.js";
import { MemberRequestKind, OrganizationType, SubscriptionTier } from "../../gen/platform/user/v1/organization_service_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { dumpDatabase } from "../support/database.js";
import { authClient, GOOD_PASSWORD, profileClient, registerUser, uniqueEmail, type RegisteredUser } from "../support/factories.js";
import { addMember, organizationsClient, uniqueOrganizationName } from "../support/organizations.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("invitations and member requests", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "10000" } });
  });
  afterAll(() => t?.close());

  const as = (user: RegisteredUser) => organizationsClient(t, user.accessToken);
  const auditActions = async (organizationId: string) =>
    (await t.db.selectFrom("audit_trail").select("action").where("organization_id", "=", organizationId).orderBy("seq").execute()).map((row) => row.action);
  const roleOf = async (organizationId: string, user: RegisteredUser) =>
    (await t.db.selectFrom("organization_members").select("role").where("organization_id", "=", organizationId).where("user_id", "=", user.userId).executeTakeFirst())?.role;

  /** An organization with an admin and a manager; approval required when asked. */
  async function organization(requiresApproval = false) {
    const [admin, manager] = await Promise.all([registerUser(t), registerUser(t)]);
    const { organization } = await as(admin).createOrganization({
      name: uniqueOrganizationName(),
      displayName: "Invite Test",
      organizationType: OrganizationType.HEDGE_FUND,
      subscriptionTier: SubscriptionTier.PROFESSIONAL,
      requiresApproval,
    });
    const organizationId = organization!.organizationId;
    await addMember(t, organizationId, manager, "manager");
    return { organizationId, admin, manager };
  }

  describe("InviteMember and AcceptInvitation", () => {
    it("joins the invitee with the invited role, department and manager, once, audited, keeping only the token's hash", async () => {
      const { organizationId, admin, manager } = await organization();
      const invitee = await registerUser(t);
      const invitation = await as(admin).inviteMember({ organizationId, email: invitee.email.toUpperCase(), role: OrgRole.TRADER, department: "trading", managerUserId: manager.userId });
      expect(invitation.invitationToken.length).toBeGreaterThanOrEqual(43);

      const accepted = await as(invitee).acceptInvitation({ invitationToken: invitation.invitationToken });
      expect(accepted).toMatchObject({ organization: { organizationId, callerRole: OrgRole.TRADER }, pendingRequestId: "" });
      const { members } = await as(invitee).listMembers({ organizationId });
      expect(members.find((m) => m.userId === invitee.userId)).toMatchObject({ role: OrgRole.TRADER, department: "trading", managerUserId: manager.userId });
      expect((await profileClient(t, invitee.accessToken).getProfile({})).organizations).toEqual([expect.objectContaining({ organizationId, role: OrgRole.TRADER })]);

      await expect(as(invitee).acceptInvitation({ invitationToken: invitation.invitationToken })).rejects.toMatchObject({ code: Code.FailedPrecondition });
      expect(await auditActions(organizationId)).toEqual(["organization.create", "organization.invite", "organization.invitation_accept"]);
      expect(await dumpDatabase(t.db)).not.toContain(invitation.invitationToken);
    });

    it("refuses another user's acceptance, an unknown token and an expired invitation", async () => {
      const { organizationId, admin } = await organization();
      const [invitee, someoneElse] = await Promise.all([registerUser(t), registerUser(t)]);
      const { invitationToken, invitationId } = await as(admin).inviteMember({ organizationId, email: invitee.email, role: OrgRole.VIEWER });
      await expect(as(someoneElse).acceptInvitation({ invitationToken })).rejects.toMatchObject({ code: Code.PermissionDenied });
      await expect(as(invitee).acceptInvitation({ invitationToken: "no-such-invitation" })).rejects.toMatchObject({ code: Code.NotFound });
      await t.db
        .updateTable("organization_invitations")
        .set({ created_at: new Date(Date.now() - 8 * 86_400_000), expires_at: new Date(Date.now() - 86_400_000) })
        .where("id", "=", invitationId)
        .execute();
      await expect(as(invitee).acceptInvitation({ invitationToken })).rejects.toMatchObject({ code: Code.FailedPrecondition });
    });

    it("lets a new invitation for the same address replace the pending one, which then stops working", async () => {
      const { organizationId, admin } = await organization();
      const invitee = await registerUser(t);
      const first = await as(admin).inviteMember({ organizationId, email: invitee.email, role: OrgRole.VIEWER });
      const second = await as(admin).inviteMember({ organizationId, email: invitee.email, role: OrgRole.TRADER });
      await expect(as(invitee).acceptInvitation({ invitationToken: first.invitationToken })).rejects.toMatchObject({ code: Code.FailedPrecondition });
      await expect(as(invitee).acceptInvitation({ invitationToken: second.invitationToken })).resolves.toMatchObject({ organization: { callerRole: OrgRole.TRADER } });
    });

    it("answers more concurrent invitations than the database pool has connections", async () => {
      const { organizationId, admin } = await organization();
      const invitations = await Promise.all(Array.from({ length: 24 }, () => as(admin).inviteMember({ organizationId, email: uniqueEmail("crowd"), role: OrgRole.VIEWER })));
      expect(new Set(invitations.map((invitation) => invitation.invitationId)).size).toBe(24);
    });

    it("refuses inviting a member, and holds managers to traders and viewers under them", async () => {
      const { organizationId, admin, manager } = await organization();
      await expect(as(admin).inviteMember({ organizationId, email: manager.email, role: OrgRole.VIEWER })).rejects.toMatchObject({ code: Code.AlreadyExists });
      await expect(as(manager).inviteMember({ organizationId, email: uniqueEmail(), role: OrgRole.ADMIN })).rejects.toMatchObject({ code: Code.PermissionDenied });
      await expect(as(manager).inviteMember({ organizationId, email: uniqueEmail(), role: OrgRole.TRADER, managerUserId: admin.userId })).rejects.toMatchObject({
        code: Code.PermissionDenied,
      });
      const invitee = await registerUser(t);
      const { invitationToken } = await as(manager).inviteMember({ organizationId, email: invitee.email, role: OrgRole.TRADER });
      await as(invitee).acceptInvitation({ invitationToken });
      const { members } = await as(admin).listMembers({ organizationId });
      expect(members.find((m) => m.userId === invitee.userId)).toMatchObject({ managerUserId: manager.userId });
    });
  });

  describe("Register with organization_invite_token", () => {
    it("creates the account and joins it in one step", async () => {
      const { organizationId, admin } = await organization();
      const email = uniqueEmail("newcomer");
      const { invitationToken } = await as(admin).inviteMember({ organizationId, email, role: OrgRole.VIEWER });
      const registered = await authClient(t).register({ email, password: GOOD_PASSWORD, fullName: "New Comer", organizationInviteToken: invitationToken });
      const { organizations } = await profileClient(t, registered.accessToken).getProfile({});
      expect(organizations).toEqual([expect.objectContaining({ organizationId, role: OrgRole.VIEWER })]);
    });

    it("creates no account with an invitation for another address", async () => {
      const { organizationId, admin } = await organization();
      const { invitationToken } = await as(admin).inviteMember({ organizationId, email: uniqueEmail("invited"), role: OrgRole.VIEWER });
      const email = uniqueEmail("impostor");
      await expect(authClient(t).register({ email, password: GOOD_PASSWORD, fullName: "Im Poster", organizationInviteToken: invitationToken })).rejects.toMatchObject({
        code: Code.PermissionDenied,
      });
      expect(await t.db.selectFrom("users").select("id").where("email", "=", email).executeTakeFirst()).toBeUndefined();
    });
  });

  describe("organizations that require approval", () => {
    it("files a join request that a manager approves, and lists it until then", async () => {
      const { organizationId, admin, manager } = await organization(true);
      const invitee = await registerUser(t, { fullName: "Wai Ting" });
      const { invitationToken } = await as(admin).inviteMember({ organizationId, email: invitee.email, role: OrgRole.TRADER });
      const accepted = await as(invitee).acceptInvitation({ invitationToken });
      expect(accepted).toMatchObject({ organization: { organizationId, callerRole: OrgRole.UNSPECIFIED, requiresApproval: true } });
      expect(accepted.pendingRequestId).not.toBe("");
      await expect(as(invitee).getOrganization({ organizationId })).rejects.toMatchObject({ code: Code.PermissionDenied });

      const { requests } = await as(manager).listMemberRequests({ organizationId });
      expect(requests).toEqual([
        expect.objectContaining({ requestId: accepted.pendingRequestId, kind: MemberRequestKind.JOIN, userId: invitee.userId, fullName: "Wai Ting", role: OrgRole.TRADER, requestedByUserId: admin.userId }),
      ]);
      await expect(as(manager).approveMemberRequest({ organizationId, requestId: accepted.pendingRequestId })).resolves.toMatchObject({
        member: { userId: invitee.userId, role: OrgRole.TRADER },
      });
      await expect(as(invitee).getOrganization({ organizationId })).resolves.toMatchObject({ organization: { callerRole: OrgRole.TRADER } });
      expect((await as(manager).listMemberRequests({ organizationId })).requests).toEqual([]);
      await expect(as(admin).approveMemberRequest({ organizationId, requestId: accepted.pendingRequestId })).rejects.toMatchObject({ code: Code.FailedPrecondition });
    });

    it("keeps a rejected person out, with the reason audited", async () => {
      const { organizationId, admin } = await organization(true);
      const invitee = await registerUser(t);
      const { invitationToken } = await as(admin).inviteMember({ organizationId, email: invitee.email, role: OrgRole.VIEWER });
      const { pendingRequestId } = await as(invitee).acceptInvitation({ invitationToken });
      await as(admin).rejectMemberRequest({ organizationId, requestId: pendingRequestId, reason: "not on the desk list" });
      expect(await roleOf(organizationId, invitee)).toBeUndefined();
      const row = await t.db.selectFrom("audit_trail").selectAll().where("organization_id", "=", organizationId).orderBy("seq", "desc").executeTakeFirstOrThrow();
      expect(row).toMatchObject({ action: "organization.member_request_reject", reason: "not on the desk list", resource_id: invitee.userId });
    });
  });

  describe("four-eyes grants of the admin and compliance roles", () => {
    it("files the grant, which neither its requester nor a manager may approve, and a second admin does", async () => {
      const { organizationId, admin, manager } = await organization();
      const [secondAdmin, trader] = await Promise.all([registerUser(t), registerUser(t)]);
      await addMember(t, organizationId, secondAdmin, "admin");
      await addMember(t, organizationId, trader, "trader");

      const { member, pendingRequestId } = await as(admin).updateMember({ organizationId, userId: trader.userId, role: OrgRole.COMPLIANCE, department: "compliance" });
      expect(member).toMatchObject({ role: OrgRole.TRADER, department: "compliance" });
      expect(pendingRequestId).not.toBe("");
      await expect(as(admin).updateMember({ organizationId, userId: trader.userId, role: OrgRole.ADMIN })).rejects.toMatchObject({ code: Code.AlreadyExists });

      await expect(as(admin).approveMemberRequest({ organizationId, requestId: pendingRequestId })).rejects.toMatchObject({ code: Code.PermissionDenied });
      await expect(as(manager).approveMemberRequest({ organizationId, requestId: pendingRequestId })).rejects.toMatchObject({ code: Code.PermissionDenied });
      expect(await roleOf(organizationId, trader)).toBe("trader");

      await expect(as(secondAdmin).approveMemberRequest({ organizationId, requestId: pendingRequestId })).resolves.toMatchObject({ member: { role: OrgRole.COMPLIANCE } });
      expect(await roleOf(organizationId, trader)).toBe("compliance");
    });

    it("approves a grant once when two admins approve it at once", async () => {
      const { organizationId, admin } = await organization();
      const [second, third, trader] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)]);
      await addMember(t, organizationId, second, "admin");
      await addMember(t, organizationId, third, "admin");
      await addMember(t, organizationId, trader, "trader");
      const { pendingRequestId } = await as(admin).updateMember({ organizationId, userId: trader.userId, role: OrgRole.ADMIN });
      const results = await Promise.allSettled([second, third].map((approver) => as(approver).approveMemberRequest({ organizationId, requestId: pendingRequestId })));
      expect(results.map((result) => result.status).sort()).toEqual(["fulfilled", "rejected"]);
      const approvals = await t.db.selectFrom("audit_trail").select("id").where("organization_id", "=", organizationId).where("action", "=", "organization.member_request_approve").execute();
      expect(approvals).toHaveLength(1);
    });

    it("makes an invitation to the admin role wait for an admin other than the inviter", async () => {
      const { organizationId, admin } = await organization();
      const [secondAdmin, invitee] = await Promise.all([registerUser(t), registerUser(t)]);
      await addMember(t, organizationId, secondAdmin, "admin");
      const { invitationToken } = await as(admin).inviteMember({ organizationId, email: invitee.email, role: OrgRole.ADMIN });
      const { pendingRequestId } = await as(invitee).acceptInvitation({ invitationToken });
      expect(await roleOf(organizationId, invitee)).toBeUndefined();
      await expect(as(admin).approveMemberRequest({ organizationId, requestId: pendingRequestId })).rejects.toMatchObject({ code: Code.PermissionDenied });
      await as(secondAdmin).approveMemberRequest({ organizationId, requestId: pendingRequestId });
      expect(await roleOf(organizationId, invitee)).toBe("admin");
    });
  });
});
