import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { Redis } from "ioredis";
import {
  UserRegistrationRequest_ProfileDetails_InvestmentProfile as InvestmentProfile,
  UserRegistrationRequest_ProfileDetails_RiskTolerance as RiskTolerance,
} from "../../gen/platform/user/v1/auth_service_pb.js";
import { UserStatus } from "../../gen/platform/user/v1/common_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, GOOD_PASSWORD, profileClient, registerUser, registerWithRole, uniqueEmail } from "../support/factories.js";
import { REDIS_URL, servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const FULL_NAME = "Ada Investor";

describeWithServices("ProfileService", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: "1000" } });
  });
  afterAll(() => t?.close());

  /** Signs up a user who declared an aggressive profile with high risk tolerance. */
  async function registerInvestor() {
    const email = uniqueEmail("investor");
    const res = await authClient(t).register({
      email,
      password: GOOD_PASSWORD,
      fullName: FULL_NAME,
      profileDetails: { investmentProfile: InvestmentProfile.AGGRESSIVE, riskTolerance: RiskTolerance.HIGH },
    });
    return { email, userId: res.userId, accessToken: res.accessToken };
  }

  const profileUpdates = (userId: string) =>
    t.db.selectFrom("audit_trail").select(["actor_user_id", "old_values", "new_values", "ip_address"]).where("action", "=", "profile.update").where("resource_id", "=", userId).execute();

  describe("GetProfile", () => {
    it("returns the caller's own profile as registered when no user id is given", async () => {
      const before = Date.now();
      const user = await registerInvestor();

      const profile = await profileClient(t, user.accessToken).getProfile({});

      expect(profile).toMatchObject({
        userId: user.userId,
        email: user.email,
        fullName: FULL_NAME,
        status: UserStatus.PENDING_VERIFICATION,
        profileDetails: { investmentProfile: InvestmentProfile.AGGRESSIVE, riskTolerance: RiskTolerance.HIGH },
        organizations: [],
      });
      expect(profile.createdAt).toBeDefined();
      const createdAt = timestampDate(profile.createdAt!).getTime();
      expect(createdAt).toBeGreaterThanOrEqual(before - 1_000);
      expect(createdAt).toBeLessThanOrEqual(Date.now());
    });

    it("returns the caller's own profile when the caller names their own id", async () => {
      const user = await registerInvestor();

      const profile = await profileClient(t, user.accessToken).getProfile({ userId: user.userId });

      expect(profile.email).toBe(user.email);
    });

    it("refuses a plain user another user's profile", async () => {
      const [reader, other] = await Promise.all([registerUser(t), registerUser(t)]);

      await expect(profileClient(t, reader.accessToken).getProfile({ userId: other.userId })).rejects.toMatchObject({ code: Code.PermissionDenied });
    });

    it("refuses a compliance officer another user's profile: only admin and support read profiles", async () => {
      const [reader, other] = await Promise.all([registerWithRole(t, "compliance_officer"), registerUser(t)]);

      await expect(profileClient(t, reader.accessToken).getProfile({ userId: other.userId })).rejects.toMatchObject({ code: Code.PermissionDenied });
    });

    it.each(["admin", "support"] as const)("returns another user's profile to a platform %s", async (role) => {
      const [reader, other] = await Promise.all([registerWithRole(t, role), registerUser(t)]);

      const profile = await profileClient(t, reader.accessToken).getProfile({ userId: other.userId });

      expect(profile).toMatchObject({ userId: other.userId, email: other.email });
    });

    it("answers NOT_FOUND for a user that does not exist", async () => {
      const admin = await registerWithRole(t, "admin");

      await expect(profileClient(t, admin.accessToken).getProfile({ userId: randomUUID() })).rejects.toMatchObject({ code: Code.NotFound });
    });

    it("rejects a user id that is not a UUID", async () => {
      const admin = await registerWithRole(t, "admin");

      await expect(profileClient(t, admin.accessToken).getProfile({ userId: "not-a-uuid" })).rejects.toMatchObject({ code: Code.InvalidArgument });
    });

    it("refuses a caller without an access token", async () => {
      await expect(profileClient(t).getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    });

    it("caches the profile in Redis under the deployment's namespace", async () => {
      const user = await registerInvestor();
      // Unprefixed, so the test sees the key's full name as other deployments sharing Redis would.
      const raw = new Redis(REDIS_URL);
      try {
        const key = `${t.namespace}profile:v2:${user.userId}`;
        expect(await raw.exists(key)).toBe(0);

        await profileClient(t, user.accessToken).getProfile({});

        expect(await raw.exists(key)).toBe(1);
      } finally {
        await raw.quit();
      }
    });

    it("serves the cached copy until UpdateProfile invalidates it", async () => {
      const user = await registerInvestor();
      const client = profileClient(t, user.accessToken);
      await client.getProfile({});

      // A change behind the service's back stays invisible while the cached copy lives.
      await t.db.updateTable("users").set({ risk_tolerance: "medium" }).where("id", "=", user.userId).execute();
      expect((await client.getProfile({})).profileDetails?.riskTolerance).toBe(RiskTolerance.HIGH);

      await client.updateProfile({ fullName: "Renamed Investor" });

      const profile = await client.getProfile({});
      expect(profile.fullName).toBe("Renamed Investor");
      expect(profile.profileDetails?.riskTolerance).toBe(RiskTolerance.MEDIUM);
    });
  });

  describe("UpdateProfile", () => {
    it("changes the name and leaves absent profile details as they were", async () => {
      const user = await registerInvestor();
      const client = profileClient(t, user.accessToken);
      await client.getProfile({});

      const updated = await client.updateProfile({ fullName: "New Name" });

      const expected = { fullName: "New Name", profileDetails: { investmentProfile: InvestmentProfile.AGGRESSIVE, riskTolerance: RiskTolerance.HIGH } };
      expect(updated).toMatchObject(expected);
      expect(await client.getProfile({})).toMatchObject(expected);
    });

    it("changes the profile details and leaves an absent name as it was", async () => {
      const user = await registerInvestor();
      const client = profileClient(t, user.accessToken);
      await client.getProfile({});

      await client.updateProfile({ profileDetails: { investmentProfile: InvestmentProfile.MODERATE, riskTolerance: RiskTolerance.MEDIUM } });

      expect(await client.getProfile({})).toMatchObject({
        fullName: FULL_NAME,
        profileDetails: { investmentProfile: InvestmentProfile.MODERATE, riskTolerance: RiskTolerance.MEDIUM },
      });
    });

    it("rejects an empty name and one longer than 200 characters", async () => {
      const user = await registerInvestor();
      const client = profileClient(t, user.accessToken);

      await expect(client.updateProfile({ fullName: "" })).rejects.toMatchObject({ code: Code.InvalidArgument });
      await expect(client.updateProfile({ fullName: "n".repeat(201) })).rejects.toMatchObject({ code: Code.InvalidArgument });
      expect((await client.updateProfile({ fullName: "n".repeat(200) })).fullName).toHaveLength(200);
    });

    it("rejects a name of only white space", async () => {
      const user = await registerInvestor();
      const client = profileClient(t, user.accessToken);

      // The name is stored trimmed: whatever trimming removes, Unicode spaces included, is not a name.
      for (const fullName of ["   ", "\t\u00a0\u3000\ufeff"]) {
        await expect(client.updateProfile({ fullName })).rejects.toMatchObject({ code: Code.InvalidArgument });
      }
    });

    it("rejects a profile detail outside its enum", async () => {
      const user = await registerInvestor();

      // The typed client cannot send an undefined enum value; JSON over plain HTTP can.
      const res = await fetch(`${t.baseUrl}/platform.user.v1.ProfileService/UpdateProfile`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${user.accessToken}` },
        body: JSON.stringify({ profileDetails: { investmentProfile: 7 } }),
      });

      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: "invalid_argument" });
      const row = await t.db.selectFrom("users").select("investment_profile").where("id", "=", user.userId).executeTakeFirstOrThrow();
      expect(row.investment_profile).toBe("aggressive");
    });

    it("records only the changed fields, the actor and the client address in the audit trail", async () => {
      const user = await registerInvestor();

      // Restating the current profile details is not a change and must not be recorded as one.
      await profileClient(t, user.accessToken).updateProfile({
        fullName: "Audited Name",
        profileDetails: { investmentProfile: InvestmentProfile.AGGRESSIVE, riskTolerance: RiskTolerance.HIGH },
      });

      expect(await profileUpdates(user.userId)).toEqual([
        { actor_user_id: user.userId, old_values: { fullName: FULL_NAME }, new_values: { fullName: "Audited Name" }, ip_address: "127.0.0.1" },
      ]);
    });

    it("writes no audit row for an update that changes nothing", async () => {
      const user = await registerInvestor();
      const client = profileClient(t, user.accessToken);

      await client.updateProfile({ fullName: FULL_NAME });
      await client.updateProfile({});

      expect(await profileUpdates(user.userId)).toEqual([]);
    });

    it("refuses a caller without an access token", async () => {
      await expect(profileClient(t).updateProfile({ fullName: "Nobody" })).rejects.toMatchObject({ code: Code.Unauthenticated });
    });
  });
});
