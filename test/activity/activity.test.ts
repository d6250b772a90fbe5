import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { ActivityService } from "../../gen/platform/user/v1/activity_service_pb.js";
import { ActivityType, OrgRole } from "../../gen/platform/user/v1/common_pb.js";
import { PreferencesService } from "../../gen/platform/user/v1/preferences_service_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, profileClient, registerUser, registerWithRole, type RegisteredUser } from "../support/factories.js";
import { addMember, createOrganization, organizationsClient } from "../support/organizations.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("ActivityService", () => {
  let t: TestApp;
  beforeAll(async () => {
    // The buffer is written when the test says (flush), so a test sees what a call costs on its path.
    t = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "1000", ACTIVITY_FLUSH_INTERVAL_MS: "60000" } });
  });
  afterAll(() => t?.close());

  const activity = (user: RegisteredUser) => createClient(ActivityService, t.transport({ token: user.accessToken }));
  const flush = () => t.app.context.activityRecorder.flush();
  const stored = (userId: string) => t.db.selectFrom("user_activities").selectAll().where("user_id", "=", userId).execute();

  describe("recording", () => {
    it("records every call with who, what, how it ended, how long it took and from where", async () => {
      const user = await registerUser(t);
      await profileClient(t, user.accessToken).getProfile({});
      await profileClient(t, user.accessToken).updateProfile({ fullName: "Renamed Person" });
      await expect(profileClient(t, user.accessToken).getProfile({ userId: crypto.randomUUID() })).rejects.toMatchObject({ code: Code.PermissionDenied });
      await expect(profileClient(t, user.accessToken).updateProfile({ fullName: "" })).rejects.toMatchObject({ code: Code.InvalidArgument });
      await expect(authClient(t).login({ email: user.email, password: "wrong-password-entirely" })).rejects.toMatchObject({ code: Code.Unauthenticated });
      await authClient(t, user.accessToken).logout({});
      await flush();

      const { activities } = await activity(await loginAgain(user)).listActivity({ limit: 100 });

      const calls = activities.map((a) => [a.method, a.statusCode, ActivityType[a.activityType]]).reverse();
      expect(calls.slice(0, 6)).toEqual([
        ["AuthService/Register", "OK", "LOGIN"],
        ["ProfileService/GetProfile", "OK", "API_CALL"],
        ["ProfileService/UpdateProfile", "OK", "FEATURE_USE"],
        ["ProfileService/GetProfile", "PERMISSION_DENIED", "SECURITY_EVENT"],
        ["ProfileService/UpdateProfile", "INVALID_ARGUMENT", "ERROR"],
        ["AuthService/Logout", "OK", "LOGOUT"],
      ]);
      const register = activities.at(-1)!;
      expect(register).toMatchObject({ userId: user.userId, sessionId: user.sessionId, ipAddress: expect.stringMatching(/127\.0\.0\.1/), requestId: expect.stringMatching(/.{8,}/) });
      expect(register.latencyMs).toBeGreaterThan(0);
      // The failed sign-in answered for nobody: it is recorded without a user (by its address), not in this user's list.
      const anonymous = await t.db.selectFrom("user_activities").selectAll().where("user_id", "is", null).where("method", "=", "AuthService/Login").execute();
      expect(anonymous.some((row) => row.status_code === "UNAUTHENTICATED" && row.activity_type === "login")).toBe(true);
    });

    it("writes nothing on the request's path: the records wait in the buffer until it is written", async () => {
      const user = await registerUser(t);
      await profileClient(t, user.accessToken).getProfile({});

      expect(await stored(user.userId)).toEqual([]);
      await flush();
      expect((await stored(user.userId)).map((row) => row.method).sort()).toEqual(["AuthService/Register", "ProfileService/GetProfile"]);
    });

    it("records the organization a call names", async () => {
      const admin = await registerUser(t);
      const organizationId = await createOrganization(t, admin);
      await organizationsClient(t, admin.accessToken).getOrganization({ organizationId });
      await flush();

      const rows = await stored(admin.userId);
      expect(rows.find((row) => row.method === "OrganizationService/GetOrganization")?.organization_id).toBe(organizationId);
    });
  });

  describe("ListActivity", () => {
    it("filters by type and time and pages without skipping or repeating", async () => {
      const user = await registerUser(t);
      const start = new Date();
      for (let i = 0; i < 5; i++) await profileClient(t, user.accessToken).getProfile({});
      await flush();

      const calls = await activity(user).listActivity({ activityType: ActivityType.API_CALL, limit: 100 });
      const before = await activity(user).listActivity({ createdBefore: timestampFromDate(start) });
      const seen: string[] = [];
      let pageToken = "";
      do {
        const page = await activity(user).listActivity({ activityType: ActivityType.API_CALL, limit: 2, pageToken });
        seen.push(...page.activities.map((a) => a.id));
        pageToken = page.nextPageToken;
      } while (pageToken);

      expect(calls.activities).toHaveLength(5);
      expect(calls.activities.every((a) => a.activityType === ActivityType.API_CALL)).toBe(true);
      expect(before.activities.map((a) => a.method)).toEqual(["AuthService/Register"]);
      expect(seen).toEqual(calls.activities.map((a) => a.id));
    });

    it("refuses a page token from another query and bad filters", async () => {
      const user = await registerUser(t);
      await profileClient(t, user.accessToken).getProfile({});
      await flush();
      const first = await activity(user).listActivity({ limit: 1 });

      await expect(activity(user).listActivity({ limit: 1, activityType: ActivityType.LOGIN, pageToken: first.nextPageToken })).rejects.toMatchObject({ code: Code.InvalidArgument });
      await expect(activity(user).listActivity({ activityType: 99 as ActivityType })).rejects.toMatchObject({ code: Code.InvalidArgument });
      await expect(activity(user).listActivity({ limit: 1001 })).rejects.toMatchObject({ code: Code.InvalidArgument });
    });

    describe("another user's activity", () => {
      let admin: RegisteredUser;
      let manager: RegisteredUser;
      let subordinate: RegisteredUser;
      let peer: RegisteredUser;
      let outsider: RegisteredUser;
      let organizationId: string;
      let otherOrganizationId: string;
      beforeAll(async () => {
        [admin, manager, subordinate, peer, outsider] = await Promise.all([registerUser(t), registerUser(t), registerUser(t), registerUser(t), registerUser(t)]);
        organizationId = await createOrganization(t, admin);
        await addMember(t, organizationId, manager, "manager");
        await addMember(t, organizationId, subordinate, "trader", manager.userId);
        await addMember(t, organizationId, peer, "trader");
        otherOrganizationId = await createOrganization(t, subordinate);
        await organizationsClient(t, subordinate.accessToken).getOrganization({ organizationId: otherOrganizationId });
        await organizationsClient(t, subordinate.accessToken).getOrganization({ organizationId });
        await flush();
      });

      it("lets support read anyone's", async () => {
        const support = await registerWithRole(t, "support");
        await expect(activity(support).listActivity({ userId: outsider.userId })).resolves.toMatchObject({ activities: [expect.objectContaining({ method: "AuthService/Register" })] });
      });

      it("lets an organization's admin read a member's, leaving out calls that named another organization", async () => {
        const { activities } = await activity(admin).listActivity({ userId: subordinate.userId, organizationId, limit: 100 });

        expect(activities.map((a) => a.method)).toContain("AuthService/Register");
        expect(activities.filter((a) => a.organizationId !== "").map((a) => a.organizationId)).toEqual([organizationId]);
      });

      it("lets a manager read their subordinate's, and no other member's", async () => {
        await expect(activity(manager).listActivity({ userId: subordinate.userId, organizationId })).resolves.toMatchObject({ activities: expect.any(Array) });
        await expect(activity(manager).listActivity({ userId: peer.userId, organizationId })).rejects.toMatchObject({ code: Code.PermissionDenied });
      });

      it("refuses an organization's admin a non-member, another organization, and anyone without naming the organization", async () => {
        await expect(activity(admin).listActivity({ userId: outsider.userId, organizationId })).rejects.toMatchObject({ code: Code.PermissionDenied });
        await expect(activity(admin).listActivity({ userId: subordinate.userId, organizationId: otherOrganizationId })).rejects.toMatchObject({ code: Code.PermissionDenied });
        await expect(activity(admin).listActivity({ userId: subordinate.userId })).rejects.toMatchObject({ code: Code.PermissionDenied });
      });

      it("refuses a member whose role does not read activity", async () => {
        await organizationsClient(t, admin.accessToken).updateMember({ organizationId, userId: peer.userId, role: OrgRole.VIEWER });
        await expect(activity(peer).listActivity({ userId: subordinate.userId, organizationId })).rejects.toMatchObject({ code: Code.PermissionDenied });
      });
    });
  });

  describe("GetUserMetrics", () => {
    it("counts today's sign-ins, failures, sessions, calls per feature, errors, latency and security events", async () => {
      const user = await registerUser(t);
      await expect(authClient(t).login({ email: user.email, password: "wrong-password-entirely" })).rejects.toMatchObject({ code: Code.Unauthenticated });
      const signedIn = await loginAgain(user);
      await createClient(PreferencesService, t.transport({ token: signedIn.accessToken })).getPreferences({});
      await expect(profileClient(t, signedIn.accessToken).getProfile({ userId: crypto.randomUUID() })).rejects.toMatchObject({ code: Code.PermissionDenied });
      await flush();

      const metrics = await activity(signedIn).getUserMetrics({ days: 7 });

      expect(metrics).toMatchObject({ userId: user.userId, days: 7, loginCount: 1, failedLoginCount: 1, sessionCount: 2, activeDays: 1, distinctIpCount: 1 });
      expect(metrics.lastLoginAt).toBeDefined();
      expect(metrics.daily).toHaveLength(1);
      const [today] = metrics.daily;
      expect(today).toMatchObject({
        day: new Date().toISOString().slice(0, 10),
        loginCount: 1,
        failedLoginCount: 1,
        sessionCount: 2,
        rpcCount: 4,
        rpcCountsByFeature: { AuthService: 2, PreferencesService: 1, ProfileService: 1 },
        errorCount: 1,
        securityEventCount: 1,
      });
      expect(today!.latencyP95Ms).toBeGreaterThanOrEqual(today!.latencyP50Ms);
      expect(today!.latencyP50Ms).toBeGreaterThan(0);
    });

    it("refuses another user's metrics to a plain user and a bad window", async () => {
      const [user, other] = await Promise.all([registerUser(t), registerUser(t)]);
      await expect(activity(user).getUserMetrics({ userId: other.userId, days: 7 })).rejects.toMatchObject({ code: Code.PermissionDenied });
      await expect(activity(user).getUserMetrics({ days: 0 })).rejects.toMatchObject({ code: Code.InvalidArgument });
      await expect(activity(user).getUserMetrics({ days: 366 })).rejects.toMatchObject({ code: Code.InvalidArgument });
    });
  });

  /** loginAgain signs the user in with their password and returns them with the new session's token. */
  async function loginAgain(user: RegisteredUser): Promise<RegisteredUser> {
    const res = await authClient(t).login({ email: user.email, password: user.password });
    if (res.result.case !== "tokens") throw new Error("expected tokens");
    return { ...user, accessToken: res.result.value.accessToken, sessionId: res.result.value.sessionId };
  }
});
