import { afterAll, beforeAll, expect, it } from "@jest/globals";
import { Code } from "@connectrpc/connect";
import { OrgRole } from "../../gen/platform/user/v1/common_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { profileClient, registerUser } from "../support/factories.js";
import { addMember, createOrganization, organizationsClient } from "../support/organizations.js";
import { servicesAvailable } from "../support/services.js";

const itWithServices = (await servicesAvailable()) ? it : it.skip;

// Membership changes count from the next call on every replica, as revocations do: roles are read
// on every call, and cached profiles are retired through the shared cache.
let a: TestApp;
let b: TestApp;
beforeAll(async () => {
  if (!(await servicesAvailable())) return;
  a = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "10000" } });
  b = await startTestApp({ replicaOf: a, env: { REGISTRATIONS_PER_IP_PER_HOUR: "10000" } });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

itWithServices("a role change and a removal made on one replica count on the other from its next call", async () => {
  const [admin, member] = await Promise.all([registerUser(a), registerUser(a)]);
  const organizationId = await createOrganization(a, admin);
  await addMember(a, organizationId, member, "viewer");
  await a.app.context.profiles.forget(member.userId);
  const onB = organizationsClient(b, member.accessToken);
  const organizationsOnB = async () => (await profileClient(b, member.accessToken).getProfile({})).organizations.map((o) => o.role);
  // Replica b has the session's standing and the member's profile cached.
  await expect(onB.getOrganization({ organizationId })).resolves.toMatchObject({ organization: { callerRole: OrgRole.VIEWER } });
  expect(await organizationsOnB()).toEqual([OrgRole.VIEWER]);

  await organizationsClient(a, admin.accessToken).updateMember({ organizationId, userId: member.userId, role: OrgRole.TRADER });
  await expect(onB.getOrganization({ organizationId })).resolves.toMatchObject({ organization: { callerRole: OrgRole.TRADER } });
  expect(await organizationsOnB()).toEqual([OrgRole.TRADER]);

  await organizationsClient(a, admin.accessToken).removeMember({ organizationId, userId: member.userId });
  await expect(onB.getOrganization({ organizationId })).rejects.toMatchObject({ code: Code.PermissionDenied });
  expect(await organizationsOnB()).toEqual([]);
});
