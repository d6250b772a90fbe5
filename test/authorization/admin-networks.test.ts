import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ProfileService } from "../../gen/platform/user/v1/profile_service_pb.js";
import { loadConfig } from "../../src/config.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { profileClient, registerUser, registerWithRole } from "../support/factories.js";
import { addMember, createOrganization, organizationsClient } from "../support/organizations.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describe("ADMIN_IP_ALLOWLIST", () => {
  it("refuses to start with an entry that is not a network, naming the variable", () => {
    expect(() => loadConfig({ ADMIN_IP_ALLOWLIST: "10.0.0.0/8, not-a-network" })).toThrow(/ADMIN_IP_ALLOWLIST: .*not-a-network/);
    expect(() => loadConfig({ ADMIN_IP_ALLOWLIST: "10.0.0.0/33" })).toThrow(/ADMIN_IP_ALLOWLIST/);
  });
});

describeWithServices("platform roles from outside the admin networks", () => {
  let t: TestApp;
  beforeAll(async () => {
    // The test client calls from 127.0.0.1; behind one proxy, X-Forwarded-For names the client.
    t = await startTestApp({ env: { ADMIN_IP_ALLOWLIST: "10.0.0.0/8, 2001:db8::/32", TRUSTED_PROXY_HOPS: "1" } });
  });
  afterAll(() => t?.close());

  const fromAddress = (token: string, address: string) =>
    createClient(
      ProfileService,
      createConnectTransport({
        baseUrl: t.baseUrl,
        httpVersion: "2",
        interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${token}`), req.header.set("x-forwarded-for", address), next(req))],
      }),
    );

  it("refuses a call a platform role would allow, and audits it as a security event", async () => {
    const [admin, user] = await Promise.all([registerWithRole(t, "admin"), registerUser(t)]);
    await expect(profileClient(t, admin.accessToken).getProfile({ userId: user.userId })).rejects.toMatchObject({ code: Code.PermissionDenied });
    const row = await t.db.selectFrom("audit_trail").selectAll().where("action", "=", "security.admin_address_refused").where("actor_user_id", "=", admin.userId).executeTakeFirst();
    expect(row).toMatchObject({ resource_id: "platform.user.v1.ProfileService/GetProfile", ip_address: "127.0.0.1", compliance_relevant: true });
  });

  it("allows it from an admin network, by the client address the trusted proxy reports", async () => {
    const [admin, user] = await Promise.all([registerWithRole(t, "support"), registerUser(t)]);
    await expect(fromAddress(admin.accessToken, "10.1.2.3").getProfile({ userId: user.userId })).resolves.toMatchObject({ userId: user.userId });
    await expect(fromAddress(admin.accessToken, "2001:db8::7").getProfile({ userId: user.userId })).resolves.toMatchObject({ userId: user.userId });
    await expect(fromAddress(admin.accessToken, "192.0.2.1").getProfile({ userId: user.userId })).rejects.toMatchObject({ code: Code.PermissionDenied });
  });

  it("lets a platform admin act only as the member they are, in the handler too", async () => {
    const [founder, admin] = await Promise.all([registerUser(t), registerWithRole(t, "admin")]);
    const organizationId = await createOrganization(t, founder);
    await addMember(t, organizationId, admin, "manager");
    // As a manager the admin may change only members under them; a platform admin could change anyone.
    await expect(organizationsClient(t, admin.accessToken).updateMember({ organizationId, userId: founder.userId, department: "risk" })).rejects.toMatchObject({
      code: Code.PermissionDenied,
    });
  });

  it("leaves what the caller may do as a user and as an organization member alone", async () => {
    const admin = await registerWithRole(t, "admin");
    await expect(profileClient(t, admin.accessToken).getProfile({})).resolves.toMatchObject({ userId: admin.userId });
    const organizationId = await createOrganization(t, admin);
    await expect(organizationsClient(t, admin.accessToken).getOrganization({ organizationId })).resolves.toBeDefined();
  });
});
