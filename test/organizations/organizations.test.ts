import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code } from "@connectrpc/connect";
import { OrgRole } from "../../gen/platform/user/v1/common_pb.js";
import { OrganizationType, SubscriptionTier } from "../../gen/platform/user/v1/organization_service_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { profileClient, registerUser, registerWithRole, type RegisteredUser } from "../support/factories.js";
import { addMember, createOrganization, organizationsClient, uniqueOrganizationName } from "../support/organizations.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("OrganizationService", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "10000" } });
  });
  afterAll(() => t?.close());

  const auditRows = (organizationId: string) => t.db.selectFrom("audit_trail").selectAll().where("organization_id", "=", organizationId).orderBy("seq").execute();

  describe("CreateOrganization", () => {
    it("creates the organization with the caller as its only admin, audited", async () => {
      const founder = await registerUser(t);
      const name = uniqueOrganizationName("acme");
      const { organization } = await organizationsClient(t, founder.accessToken).createOrganization({
        name,
        displayName: "Acme Trading",
        organizationType: OrganizationType.TRADING_FIRM,
        subscriptionTier: SubscriptionTier.ENTERPRISE,
      });
      expect(organization).toMatchObject({
        name,
        displayName: "Acme Trading",
        organizationType: OrganizationType.TRADING_FIRM,
        subscriptionTier: SubscriptionTier.ENTERPRISE,
        memberCount: 1,
        callerRole: OrgRole.ADMIN,
      });
      const [row] = await auditRows(organization!.organizationId);
      expect(row).toMatchObject({ action: "organization.create", actor_user_id: founder.userId, new_values: expect.objectContaining({ name, adminUserId: founder.userId }) });
    });

    it("refuses a taken name with ALREADY_EXISTS", async () => {
      const [first, second] = await Promise.all([registerUser(t), registerUser(t)]);
      const name = uniqueOrganizationName();
      await createOrganization(t, first, name);
      await expect(createOrganization(t, second, name)).rejects.toMatchObject({ code: Code.AlreadyExists });
    });

    it("refuses an unspecified type or tier and a malformed name, naming the field", async () => {
      const user = await registerUser(t);
      const organizations = organizationsClient(t, user.accessToken);
      const valid = { name: uniqueOrganizationName(), displayName: "X", organizationType: OrganizationType.CORPORATE, subscriptionTier: SubscriptionTier.FREE };
      await expect(organizations.createOrganization({ ...valid, organizationType: OrganizationType.UNSPECIFIED })).rejects.toMatchObject({
        code: Code.InvalidArgument,
        rawMessage: expect.stringContaining("organization_type"),
      });
      await expect(organizations.createOrganization({ ...valid, subscriptionTier: 99 as SubscriptionTier })).rejects.toMatchObject({
        code: Code.InvalidArgument,
        rawMessage: expect.stringContaining("subscription_tier"),
      });
      await expect(organizations.createOrganization({ ...valid, name: "Not Valid" })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringContaining("name") });
    });
  });

  describe("ListOrganizations and GetProfile", () => {
    it("pages through the caller's organizations in the order they joined, with their role", async () => {
      const [user, other] = await Promise.all([registerUser(t), registerUser(t)]);
      const own = await createOrganization(t, user);
      const joined = await createOrganization(t, other);
      await addMember(t, joined, user, "trader");
      const third = await createOrganization(t, user);
      const organizations = organizationsClient(t, user.accessToken);

      const first = await organizations.listOrganizations({ limit: 2 });
      expect(first.organizations.map((o) => [o.organizationId, o.callerRole])).toEqual([
        [own, OrgRole.ADMIN],
        [joined, OrgRole.TRADER],
      ]);
      const second = await organizations.listOrganizations({ limit: 2, pageToken: first.nextPageToken });
      expect(second.organizations.map((o) => o.organizationId)).toEqual([third]);
      expect(second.nextPageToken).toBe("");
      await expect(organizations.listOrganizations({ pageToken: "bogus" })).rejects.toMatchObject({ code: Code.InvalidArgument });
    });

    it("lists the user's memberships with role on the profile, and the change as soon as it is made", async () => {
      const [founder, member] = await Promise.all([registerUser(t), registerUser(t)]);
      const organizationId = await createOrganization(t, founder);
      const profileOf = async (user: RegisteredUser) => (await profileClient(t, user.accessToken).getProfile({})).organizations;
      expect(await profileOf(member)).toEqual([]); // now cached
      expect(await profileOf(founder)).toEqual([expect.objectContaining({ organizationId, role: OrgRole.ADMIN })]);

      await addMember(t, organizationId, member, "viewer");
      await t.app.context.profiles.forget(member.userId); // what accepting an invitation does after commit
      await organizationsClient(t, founder.accessToken).updateMember({ organizationId, userId: member.userId, role: OrgRole.TRADER });
      expect(await profileOf(member)).toEqual([expect.objectContaining({ organizationId, role: OrgRole.TRADER })]);

      await organizationsClient(t, founder.accessToken).removeMember({ organizationId, userId: member.userId });
      expect(await profileOf(member)).toEqual([]);
    });
  });

  describe("GetOrganization", () => {
    it("shows a member the organization with their role, and refuses anyone else", async () => {
      const [founder, viewer, stranger] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)]);
      const organizationId = await createOrganization(t, founder);
      await addMember(t, organizationId, viewer, "viewer");
      const { organization } = await organizationsClient(t, viewer.accessToken).getOrganization({ organizationId });
      expect(organization).toMatchObject({ organizationId, memberCount: 2, callerRole: OrgRole.VIEWER });
      await expect(organizationsClient(t, stranger.accessToken).getOrganization({ organizationId })).rejects.toMatchObject({ code: Code.PermissionDenied });
    });

    it("shows a platform admin any organization, without a role in it, and NOT_FOUND for none", async () => {
      const [founder, admin] = await Promise.all([registerUser(t), registerWithRole(t, "admin")]);
      const organizationId = await createOrganization(t, founder);
      const { organization } = await organizationsClient(t, admin.accessToken).getOrganization({ organizationId });
      expect(organization).toMatchObject({ organizationId, callerRole: OrgRole.UNSPECIFIED });
      await expect(organizationsClient(t, admin.accessToken).getOrganization({ organizationId: "00000000-0000-4000-8000-000000000000" })).rejects.toMatchObject({
        code: Code.NotFound,
      });
    });
  });

  describe("ListMembers", () => {
    it("pages through the members in the order they joined, with names, roles, departments and managers", async () => {
      const [founder, manager, trader] = await Promise.all([registerUser(t, { fullName: "Fay Founder" }), registerUser(t, { fullName: "Max Manager" }), registerUser(t)]);
      const organizationId = await createOrganization(t, founder);
      await addMember(t, organizationId, manager, "manager");
      await addMember(t, organizationId, trader, "trader", manager.userId);
      const organizations = organizationsClient(t, trader.accessToken);

      const first = await organizations.listMembers({ organizationId, limit: 2 });
      expect(first.members).toEqual([
        expect.objectContaining({ userId: founder.userId, email: founder.email, fullName: "Fay Founder", role: OrgRole.ADMIN, managerUserId: "" }),
        expect.objectContaining({ userId: manager.userId, fullName: "Max Manager", role: OrgRole.MANAGER }),
      ]);
      const second = await organizations.listMembers({ organizationId, limit: 2, pageToken: first.nextPageToken });
      expect(second.members).toEqual([expect.objectContaining({ userId: trader.userId, role: OrgRole.TRADER, managerUserId: manager.userId })]);
      expect(second.nextPageToken).toBe("");
    });
  });

  describe("UpdateMember", () => {
    /** An organization: an admin, a manager over a team lead over a trader, and a viewer outside the team. */
    async function team() {
      const [admin, manager, lead, trader, outsider] = await Promise.all([registerUser(t), registerUser(t), registerUser(t), registerUser(t), registerUser(t)]);
      const organizationId = await createOrganization(t, admin);
      await addMember(t, organizationId, manager, "manager");
      await addMember(t, organizationId, lead, "manager", manager.userId);
      await addMember(t, organizationId, trader, "trader", lead.userId);
      await addMember(t, organizationId, outsider, "viewer");
      return { organizationId, admin, manager, lead, trader, outsider };
    }

    it("changes only the fields given, audited with old and new values", async () => {
      const { organizationId, admin, trader, lead } = await team();
      const { member } = await organizationsClient(t, admin.accessToken).updateMember({ organizationId, userId: trader.userId, department: "risk" });
      expect(member).toMatchObject({ userId: trader.userId, role: OrgRole.TRADER, department: "risk", managerUserId: lead.userId });
      const rows = await auditRows(organizationId);
      expect(rows.at(-1)).toMatchObject({
        action: "organization.member_update",
        actor_user_id: admin.userId,
        resource_id: trader.userId,
        old_values: { role: "trader", department: null, managerUserId: lead.userId },
        new_values: { role: "trader", department: "risk", managerUserId: lead.userId },
      });
    });

    it("audits nothing for an update that leaves the member as they were", async () => {
      const { organizationId, admin, trader } = await team();
      const before = await auditRows(organizationId);
      await organizationsClient(t, admin.accessToken).updateMember({ organizationId, userId: trader.userId, role: OrgRole.TRADER });
      expect(await auditRows(organizationId)).toHaveLength(before.length);
    });

    it("refuses an unknown department and a request that names no field", async () => {
      const { organizationId, admin, trader } = await team();
      const organizations = organizationsClient(t, admin.accessToken);
      await expect(organizations.updateMember({ organizationId, userId: trader.userId, department: "marketing" })).rejects.toMatchObject({
        code: Code.InvalidArgument,
        rawMessage: expect.stringContaining("department"),
      });
      await expect(organizations.updateMember({ organizationId, userId: trader.userId })).rejects.toMatchObject({ code: Code.InvalidArgument });
    });

    it("refuses a manager chain that would loop, and a manager who is not a member", async () => {
      const { organizationId, admin, manager, trader } = await team();
      const stranger = await registerUser(t);
      const organizations = organizationsClient(t, admin.accessToken);
      // The trader is under the lead, who is under the manager: the manager under the trader loops.
      await expect(organizations.updateMember({ organizationId, userId: manager.userId, managerUserId: trader.userId })).rejects.toMatchObject({
        code: Code.InvalidArgument,
        rawMessage: expect.stringContaining("manager_user_id"),
      });
      await expect(organizations.updateMember({ organizationId, userId: trader.userId, managerUserId: trader.userId })).rejects.toMatchObject({ code: Code.InvalidArgument });
      await expect(organizations.updateMember({ organizationId, userId: trader.userId, managerUserId: stranger.userId })).rejects.toMatchObject({
        code: Code.FailedPrecondition,
      });
    });

    it("lets a manager change only the members under them, to trader or viewer, under themselves or their team", async () => {
      const { organizationId, manager, lead, trader, outsider } = await team();
      const asManager = organizationsClient(t, manager.accessToken);
      // An indirect report (through the lead) is theirs to change.
      await expect(asManager.updateMember({ organizationId, userId: trader.userId, role: OrgRole.VIEWER, managerUserId: manager.userId })).resolves.toMatchObject({
        member: { role: OrgRole.VIEWER, managerUserId: manager.userId },
      });
      await expect(asManager.updateMember({ organizationId, userId: outsider.userId, department: "risk" })).rejects.toMatchObject({ code: Code.PermissionDenied });
      await expect(asManager.updateMember({ organizationId, userId: manager.userId, department: "risk" })).rejects.toMatchObject({ code: Code.PermissionDenied });
      await expect(asManager.updateMember({ organizationId, userId: lead.userId, role: OrgRole.ADMIN })).rejects.toMatchObject({ code: Code.PermissionDenied });
      await expect(asManager.updateMember({ organizationId, userId: trader.userId, managerUserId: outsider.userId })).rejects.toMatchObject({ code: Code.PermissionDenied });
      // The lead manages the trader no more: the trader is the manager's direct report now.
      await expect(organizationsClient(t, lead.accessToken).updateMember({ organizationId, userId: trader.userId, department: "risk" })).rejects.toMatchObject({
        code: Code.PermissionDenied,
      });
    });

    it("keeps the last admin", async () => {
      const { organizationId, admin } = await team();
      await expect(organizationsClient(t, admin.accessToken).updateMember({ organizationId, userId: admin.userId, role: OrgRole.VIEWER })).rejects.toMatchObject({
        code: Code.FailedPrecondition,
      });
    });

    it("keeps an admin when two admins demote each other at once", async () => {
      const [first, second] = await Promise.all([registerUser(t), registerUser(t)]);
      const organizationId = await createOrganization(t, first);
      await addMember(t, organizationId, second, "admin");
      const results = await Promise.allSettled([
        organizationsClient(t, first.accessToken).updateMember({ organizationId, userId: second.userId, role: OrgRole.VIEWER }),
        organizationsClient(t, second.accessToken).updateMember({ organizationId, userId: first.userId, role: OrgRole.VIEWER }),
      ]);
      const admins = await t.db.selectFrom("organization_members").select("user_id").where("organization_id", "=", organizationId).where("role", "=", "admin").execute();
      expect(admins).toHaveLength(1);
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    });

    it("never lets two concurrent manager changes close a loop", async () => {
      const [admin, a, b] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)]);
      const organizationId = await createOrganization(t, admin);
      await addMember(t, organizationId, a, "manager");
      await addMember(t, organizationId, b, "manager");
      const organizations = organizationsClient(t, admin.accessToken);
      const results = await Promise.allSettled([
        organizations.updateMember({ organizationId, userId: a.userId, managerUserId: b.userId }),
        organizations.updateMember({ organizationId, userId: b.userId, managerUserId: a.userId }),
      ]);
      expect(results.map((result) => result.status).sort()).toEqual(["fulfilled", "rejected"]);
      expect((results.find((result) => result.status === "rejected") as PromiseRejectedResult).reason).toMatchObject({ code: Code.InvalidArgument });
    });
  });

  describe("RemoveMember", () => {
    it("removes a member, leaves their reports without a manager, audited", async () => {
      const [admin, manager, trader] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)]);
      const organizationId = await createOrganization(t, admin);
      await addMember(t, organizationId, manager, "manager");
      await addMember(t, organizationId, trader, "trader", manager.userId);
      await organizationsClient(t, admin.accessToken).removeMember({ organizationId, userId: manager.userId });
      const { members } = await organizationsClient(t, admin.accessToken).listMembers({ organizationId });
      expect(members.map((m) => [m.userId, m.managerUserId])).toEqual([
        [admin.userId, ""],
        [trader.userId, ""],
      ]);
      expect((await auditRows(organizationId)).at(-1)).toMatchObject({ action: "organization.member_remove", resource_id: manager.userId, old_values: expect.objectContaining({ reports: [trader.userId] }) });
      await expect(organizationsClient(t, manager.accessToken).getOrganization({ organizationId })).rejects.toMatchObject({ code: Code.PermissionDenied });
    });

    it("refuses removing the last admin, NOT_FOUND for a non-member, and PERMISSION_DENIED to a manager", async () => {
      const [admin, manager, stranger] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)]);
      const organizationId = await createOrganization(t, admin);
      await addMember(t, organizationId, manager, "manager");
      const organizations = organizationsClient(t, admin.accessToken);
      await expect(organizations.removeMember({ organizationId, userId: admin.userId })).rejects.toMatchObject({ code: Code.FailedPrecondition });
      await expect(organizations.removeMember({ organizationId, userId: stranger.userId })).rejects.toMatchObject({ code: Code.NotFound });
      await expect(organizationsClient(t, manager.accessToken).removeMember({ organizationId, userId: admin.userId })).rejects.toMatchObject({ code: Code.PermissionDenied });
    });
  });
});
