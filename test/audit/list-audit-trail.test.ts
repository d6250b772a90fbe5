import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { AuditService } from "../../gen/platform/user/v1/audit_service_pb.js";
import { OrgRole } from "../../gen/platform/user/v1/common_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { profileClient, registerUser, registerWithRole, type RegisteredUser } from "../support/factories.js";
import { addMember, createOrganization, organizationsClient } from "../support/organizations.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("AuditService", () => {
  let t: TestApp;
  let officer: RegisteredUser;
  let orgAdmin: RegisteredUser;
  let orgCompliance: RegisteredUser;
  let trader: RegisteredUser;
  let organizationId: string;
  let otherOrganizationId: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "1000" } });
    officer = await registerWithRole(t, "compliance_officer");
    [orgAdmin, orgCompliance, trader] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)]);
    organizationId = await createOrganization(t, orgAdmin);
    await addMember(t, organizationId, orgCompliance, "compliance");
    await addMember(t, organizationId, trader, "trader");
    await organizationsClient(t, orgAdmin.accessToken).updateMember({ organizationId, userId: trader.userId, role: OrgRole.VIEWER });
    otherOrganizationId = await createOrganization(t, await registerUser(t));
  });
  afterAll(() => t?.close());

  const audit = (user: RegisteredUser) => createClient(AuditService, t.transport({ token: user.accessToken }));

  describe("ListAuditTrail", () => {
    it("returns entries newest first with who, what, when, why and from where", async () => {
      const user = await registerUser(t);
      await profileClient(t, user.accessToken).updateProfile({ fullName: "Renamed User" });

      const { entries } = await audit(officer).listAuditTrail({ resourceType: "user", resourceId: user.userId });

      expect(entries.map((e) => e.action)).toEqual(["profile.update", "user.register"]);
      expect(entries[0]).toMatchObject({
        actorUserId: user.userId,
        resourceType: "user",
        resourceId: user.userId,
        oldValues: { fullName: "Test User" },
        newValues: { fullName: "Renamed User" },
        ipAddress: expect.stringMatching(/127\.0\.0\.1/),
        userAgent: expect.stringMatching(/connect/i),
        requestId: expect.stringMatching(/.{8,}/),
        complianceRelevant: false,
      });
      expect(entries[0]!.createdAt!.seconds >= entries[1]!.createdAt!.seconds).toBe(true);
    });

    it("filters by actor, organization and time", async () => {
      const start = new Date();
      const user = await registerUser(t);
      await profileClient(t, user.accessToken).updateProfile({ fullName: "Someone New" });

      const byActor = await audit(officer).listAuditTrail({ actorUserId: user.userId });
      const byOrganization = await audit(officer).listAuditTrail({ organizationId });
      const before = await audit(officer).listAuditTrail({ actorUserId: user.userId, createdBefore: timestampFromDate(start) });
      const after = await audit(officer).listAuditTrail({ actorUserId: user.userId, createdAfter: timestampFromDate(start) });

      expect(byActor.entries.every((e) => e.actorUserId === user.userId)).toBe(true);
      expect(byActor.entries.map((e) => e.action).sort()).toEqual(["profile.update", "user.register"]);
      expect(byOrganization.entries.length).toBeGreaterThanOrEqual(2);
      expect(byOrganization.entries.every((e) => e.organizationId === organizationId)).toBe(true);
      expect(before.entries).toEqual([]);
      expect(after.entries.length).toBe(2);
    });

    it("pages through the trail without skipping or repeating an entry", async () => {
      const user = await registerUser(t);
      for (const fullName of ["One Name", "Two Name", "Three Name", "Four Name"]) await profileClient(t, user.accessToken).updateProfile({ fullName });
      const all = await audit(officer).listAuditTrail({ resourceId: user.userId, limit: 100 });

      const seen: string[] = [];
      let pageToken = "";
      do {
        const page = await audit(officer).listAuditTrail({ resourceId: user.userId, limit: 2, pageToken });
        expect(page.entries.length).toBeLessThanOrEqual(2);
        seen.push(...page.entries.map((e) => e.id));
        pageToken = page.nextPageToken;
      } while (pageToken);

      expect(all.entries.length).toBe(5);
      expect(seen).toEqual(all.entries.map((e) => e.id));
    });

    it("refuses a page token from a list with other filters", async () => {
      const first = await audit(officer).listAuditTrail({ resourceType: "user", limit: 1 });
      expect(first.nextPageToken).not.toBe("");

      await expect(audit(officer).listAuditTrail({ resourceType: "organization", limit: 1, pageToken: first.nextPageToken })).rejects.toMatchObject({ code: Code.InvalidArgument });
      await expect(audit(officer).listAuditTrail({ pageToken: "not-a-token" })).rejects.toMatchObject({ code: Code.InvalidArgument });
    });

    it("refuses bad filters", async () => {
      await expect(audit(officer).listAuditTrail({ resourceType: "User Type" })).rejects.toMatchObject({ code: Code.InvalidArgument });
      await expect(audit(officer).listAuditTrail({ actorUserId: "not-a-uuid" })).rejects.toMatchObject({ code: Code.InvalidArgument });
      await expect(audit(officer).listAuditTrail({ limit: 1001 })).rejects.toMatchObject({ code: Code.InvalidArgument });
    });

    it.each([
      ["admin", () => orgAdmin],
      ["compliance member", () => orgCompliance],
    ])("shows an organization's %s that organization's entries only", async (_, member) => {
      const { entries } = await audit(member()).listAuditTrail({ organizationId, limit: 1000 });

      expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(["organization.create", "organization.member_update"]));
      expect(entries.every((e) => e.organizationId === organizationId)).toBe(true);
    });

    it("refuses an organization's admin another organization's entries, and the trail at large", async () => {
      await expect(audit(orgAdmin).listAuditTrail({ organizationId: otherOrganizationId })).rejects.toMatchObject({ code: Code.PermissionDenied });
      await expect(audit(orgAdmin).listAuditTrail({})).rejects.toMatchObject({ code: Code.PermissionDenied });
      await expect(audit(orgAdmin).listAuditTrail({ actorUserId: orgAdmin.userId })).rejects.toMatchObject({ code: Code.PermissionDenied });
    });

    it("refuses members whose role does not read the audit trail", async () => {
      await expect(audit(trader).listAuditTrail({ organizationId })).rejects.toMatchObject({ code: Code.PermissionDenied });
    });

    it("refuses a caller without a token", async () => {
      await expect(createClient(AuditService, t.transport()).listAuditTrail({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    });
  });

  describe("VerifyAuditChain", () => {
    it("refuses an organization's admin: the check covers every tenant's lanes", async () => {
      await expect(audit(orgAdmin).verifyAuditChain({})).rejects.toMatchObject({ code: Code.PermissionDenied });
    });
  });
});
