import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { UserStatus } from "../../gen/platform/user/v1/common_pb.js";
import { UserLifecycleService } from "../../gen/platform/user/v1/user_lifecycle_service_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, profileClient, registerUser, registerWithRole, type RegisteredUser } from "../support/factories.js";
import { addMember, createOrganization } from "../support/organizations.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("UserLifecycleService status changes", () => {
  let t: TestApp;
  let replica: TestApp;
  let support: RegisteredUser;
  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "10000" } });
    replica = await startTestApp({ replicaOf: t, env: { REGISTRATIONS_PER_IP_PER_HOUR: "10000" } });
    support = await registerWithRole(t, "support");
  });
  afterAll(async () => {
    await replica?.close();
    await t?.close();
  });

  const lifecycle = (app: TestApp, caller: RegisteredUser) => createClient(UserLifecycleService, app.transport({ token: caller.accessToken }));
  const setStatus = (caller: RegisteredUser, user: RegisteredUser, newStatus: UserStatus, extra: object = {}) =>
    lifecycle(t, caller).updateUserStatus({ userId: user.userId, newStatus, reason: "test", ...extra });
  const activeUser = async () => {
    const user = await registerUser(t);
    await setStatus(support, user, UserStatus.ACTIVE);
    return user;
  };

  it("suspends an account: history, audit, and its tokens refused on every replica within a second", async () => {
    const user = await activeUser();
    // The replica has the session's standing cached.
    await profileClient(replica, user.accessToken).getProfile({});
    const { statusChange } = await setStatus(support, user, UserStatus.SUSPENDED, { reason: "chargeback under review" });
    expect(statusChange).toMatchObject({ userId: user.userId, previousStatus: UserStatus.ACTIVE, newStatus: UserStatus.SUSPENDED, changedByUserId: support.userId, reason: "chargeback under review" });

    await expect(profileClient(t, user.accessToken).getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    const deadline = Date.now() + 1_000;
    let refused = false;
    while (!refused && Date.now() < deadline) {
      refused = await profileClient(replica, user.accessToken).getProfile({}).then(() => false, () => true);
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(refused).toBe(true);
    await expect(authClient(t).login({ email: user.email, password: user.password })).rejects.toBeDefined();

    const audit = await t.db.selectFrom("audit_trail").selectAll().where("action", "=", "user.status_change").where("resource_id", "=", user.userId).orderBy("seq", "desc").executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_user_id: support.userId, reason: "chargeback under review", old_values: { status: "active" }, new_values: expect.objectContaining({ status: "suspended", revokedSessions: 1 }) });
  });

  it("refuses a move the lifecycle does not allow, the status the account has, and a missing reason", async () => {
    const user = await activeUser();
    await expect(setStatus(support, user, UserStatus.PENDING_VERIFICATION)).rejects.toMatchObject({ code: Code.FailedPrecondition });
    await expect(setStatus(support, user, UserStatus.ACTIVE)).rejects.toMatchObject({ code: Code.FailedPrecondition });
    await setStatus(support, user, UserStatus.DEACTIVATED);
    await expect(setStatus(support, user, UserStatus.LOCKED)).rejects.toMatchObject({ code: Code.FailedPrecondition });
    await expect(lifecycle(t, support).updateUserStatus({ userId: user.userId, newStatus: UserStatus.ACTIVE, reason: "" })).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringContaining("reason"),
    });
  });

  it("refuses operators their own account and users without the permission", async () => {
    const user = await activeUser();
    await expect(setStatus(support, support, UserStatus.SUSPENDED)).rejects.toMatchObject({ code: Code.PermissionDenied });
    await expect(setStatus(user, support, UserStatus.SUSPENDED)).rejects.toMatchObject({ code: Code.PermissionDenied });
    await expect(lifecycle(t, user).listStatusHistory({ userId: user.userId })).rejects.toMatchObject({ code: Code.PermissionDenied });
  });

  it("lets an organization admin suspend and reactivate their members only", async () => {
    const [admin, member, outsider] = await Promise.all([activeUser(), activeUser(), activeUser()]);
    const organizationId = await createOrganization(t, admin);
    await addMember(t, organizationId, member, "trader");
    const asAdmin = lifecycle(t, admin);
    await expect(asAdmin.updateUserStatus({ userId: member.userId, newStatus: UserStatus.SUSPENDED, reason: "desk review", organizationId })).resolves.toBeDefined();
    await expect(asAdmin.updateUserStatus({ userId: member.userId, newStatus: UserStatus.ACTIVE, reason: "cleared", organizationId })).resolves.toBeDefined();
    await expect(asAdmin.updateUserStatus({ userId: member.userId, newStatus: UserStatus.DEACTIVATED, reason: "x", organizationId })).rejects.toMatchObject({ code: Code.PermissionDenied });
    await expect(asAdmin.updateUserStatus({ userId: outsider.userId, newStatus: UserStatus.SUSPENDED, reason: "x", organizationId })).rejects.toMatchObject({ code: Code.PermissionDenied });
    await expect(asAdmin.updateUserStatus({ userId: member.userId, newStatus: UserStatus.SUSPENDED, reason: "x" })).rejects.toMatchObject({ code: Code.PermissionDenied });
    // A trader of the organization may not (the member's own sessions ended with the suspension: a fresh one).
    const [trader, colleague] = await Promise.all([activeUser(), activeUser()]);
    await addMember(t, organizationId, trader, "trader");
    await addMember(t, organizationId, colleague, "trader");
    await expect(lifecycle(t, trader).updateUserStatus({ userId: colleague.userId, newStatus: UserStatus.SUSPENDED, reason: "x", organizationId })).rejects.toMatchObject({
      code: Code.PermissionDenied,
    });
  });

  it("lifts a lock with an end by itself", async () => {
    const user = await activeUser();
    await expect(setStatus(support, user, UserStatus.SUSPENDED, { lockedUntil: timestampFromDate(new Date(Date.now() + 60_000)) })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await setStatus(support, user, UserStatus.LOCKED, { lockedUntil: timestampFromDate(new Date(Date.now() + 1_500)) });
    await expect(authClient(t).login({ email: user.email, password: user.password })).rejects.toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    const signedIn = await authClient(t).login({ email: user.email, password: user.password });
    expect(signedIn.result.case).toBe("tokens");
    const token = (signedIn.result.value as { accessToken: string }).accessToken;
    expect((await profileClient(t, token).getProfile({})).status).toBe(UserStatus.ACTIVE);
  });

  it("pages through an account's history, newest first", async () => {
    const user = await registerUser(t);
    for (const status of [UserStatus.ACTIVE, UserStatus.SUSPENDED, UserStatus.ACTIVE]) await setStatus(support, user, status);
    const first = await lifecycle(t, support).listStatusHistory({ userId: user.userId, limit: 2 });
    expect(first.statusChanges.map((change) => [change.previousStatus, change.newStatus])).toEqual([
      [UserStatus.SUSPENDED, UserStatus.ACTIVE],
      [UserStatus.ACTIVE, UserStatus.SUSPENDED],
    ]);
    const second = await lifecycle(t, support).listStatusHistory({ userId: user.userId, limit: 2, pageToken: first.nextPageToken });
    expect(second.statusChanges.map((change) => change.newStatus)).toEqual([UserStatus.ACTIVE]);
    expect(second.nextPageToken).toBe("");
  });
});

describeWithServices("UserLifecycleService.ListUsers", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "10000" } });
  });
  afterAll(() => t?.close());

  const listUsers = (caller: RegisteredUser, request: object) => createClient(UserLifecycleService, t.transport({ token: caller.accessToken })).listUsers(request);

  it("finds accounts by e-mail prefix, status and organization, newest first, a page at a time", async () => {
    const support = await registerWithRole(t, "support");
    const tag = `desk${Date.now().toString(36)}`;
    const [first, second, third] = [await registerUser(t, { email: `${tag}.a@example.com` }), await registerUser(t, { email: `${tag}.b@example.com` }), await registerUser(t, { email: `${tag}.c@example.com` })];
    await registerUser(t, { email: `other.${tag}@example.com` });
    await createClient(UserLifecycleService, t.transport({ token: support.accessToken })).updateUserStatus({ userId: second.userId, newStatus: UserStatus.SUSPENDED, reason: "review" });

    const page1 = await listUsers(support, { emailPrefix: tag.toUpperCase(), limit: 2 });
    expect(page1.users.map((user) => user.email)).toEqual([third.email, second.email]);
    const page2 = await listUsers(support, { emailPrefix: tag, limit: 2, pageToken: page1.nextPageToken });
    expect(page2.users.map((user) => user.email)).toEqual([first.email]);
    expect(page2.nextPageToken).toBe("");

    expect((await listUsers(support, { emailPrefix: tag, status: UserStatus.SUSPENDED })).users).toEqual([expect.objectContaining({ userId: second.userId, status: UserStatus.SUSPENDED })]);
    const organizationId = await createOrganization(t, third);
    await addMember(t, organizationId, first, "viewer");
    expect((await listUsers(support, { organizationId })).users.map((user) => user.userId)).toEqual([third.userId, first.userId]);
    // A prefix is taken literally: LIKE's wildcards match nothing here.
    expect((await listUsers(support, { emailPrefix: `${tag}_` })).users).toEqual([]);
  });

  it("is for operators only", async () => {
    const user = await registerUser(t);
    await expect(listUsers(user, {})).rejects.toMatchObject({ code: Code.PermissionDenied });
  });
});
