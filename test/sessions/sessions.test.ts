import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "../../gen/platform/user/v1/auth_service_pb.js";
import { MfaType } from "../../gen/platform/user/v1/common_pb.js";
import { DeviceType, SessionService } from "../../gen/platform/user/v1/session_service_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { ManualClock, midStep } from "../support/clock.js";
import { authClient, profileClient, registerUser, type RegisteredUser } from "../support/factories.js";
import { enrolTotp, startChallenge } from "../support/mfa.js";
import { referenceDataFile } from "../support/reference-data.js";
import { refusedWithin } from "../support/refusal.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
const WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const DAY = 24 * 3600 * 1000;

const sessionsOf = (t: TestApp, token: string) => createClient(SessionService, t.transport({ token }));

/** signIn logs the user in from a device and returns the tokens (the user has no second factor). */
async function signIn(t: TestApp, user: RegisteredUser, device: { deviceId?: string; deviceName?: string; userAgent?: string } = {}) {
  const res = await authClient(t).login({ email: user.email, password: user.password, device });
  if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
  return res.result.value;
}

describeWithServices("SessionService", () => {
  const clock = new ManualClock();
  let t: TestApp;
  let replica: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ clock, env: { REGISTRATIONS_PER_IP_PER_HOUR: "100000" } });
    replica = await startTestApp({ clock, replicaOf: t });
  });
  beforeEach(() => clock.set(midStep()));
  afterAll(async () => {
    await replica?.close();
    await t?.close();
  });

  describe("ListSessions", () => {
    it("describes each session's client, address and ends, most recently seen first, marking the current one", async () => {
      const user = await registerUser(t);
      clock.advance(1_000);
      const phone = await signIn(t, user, { deviceId: "phone-1", deviceName: "Ann's iPhone", userAgent: IPHONE });
      const { sessions } = await sessionsOf(t, user.accessToken).listSessions({});
      expect(sessions.map((s) => [s.sessionId, s.current])).toEqual([
        [phone.sessionId, false],
        [user.sessionId, true],
      ]);
      const [listed] = sessions;
      expect(listed).toMatchObject({ browser: "Mobile Safari 17", os: "iOS 17.1", deviceType: DeviceType.MOBILE, deviceName: "Ann's iPhone", ipAddress: "127.0.0.1", trusted: false });
      // Scored at sign-in: a device the account had not used, on an account not a day old.
      expect([listed!.riskScore, listed!.riskFactors]).toEqual([30, ["new_device", "new_account"]]);
      const created = timestampDate(listed!.createdAt!).getTime();
      expect(timestampDate(listed!.expiresAt!).getTime() - created).toBe(30 * DAY);
      expect(timestampDate(listed!.idleExpiresAt!).getTime() - timestampDate(listed!.lastSeenAt!).getTime()).toBe(7 * DAY);
    });

    it("reads a desktop browser from the request's own user agent when the device names none", async () => {
      const user = await registerUser(t);
      const desktop = createConnectTransport({
        baseUrl: t.baseUrl,
        httpVersion: "2",
        interceptors: [(next) => (req) => (req.header.set("user-agent", WINDOWS), next(req))],
      });
      const res = await createClient(AuthService, desktop).login({ email: user.email, password: user.password });
      const { sessions } = await sessionsOf(t, user.accessToken).listSessions({});
      expect(sessions.find((s) => s.sessionId === (res.result.value as { sessionId: string }).sessionId)).toMatchObject({
        browser: "Chrome 120",
        os: "Windows 10",
        deviceType: DeviceType.DESKTOP,
      });
    });

    it("shows every change at once, on every replica, though first pages are cached", async () => {
      const user = await registerUser(t);
      const ids = async (app: TestApp) => (await sessionsOf(app, user.accessToken).listSessions({})).sessions.map((s) => s.sessionId);
      expect(await ids(t)).toEqual([user.sessionId]);
      expect(await ids(replica)).toEqual([user.sessionId]);
      clock.advance(1_000);
      const phone = await signIn(t, user, { deviceId: "phone-7" });
      expect(await ids(replica)).toEqual([phone.sessionId, user.sessionId]);
      await sessionsOf(replica, user.accessToken).trustDevice({ sessionId: phone.sessionId, trusted: true });
      expect((await sessionsOf(t, user.accessToken).listSessions({})).sessions[0]?.trusted).toBe(true);
      clock.advance(1_000);
      await authClient(t).refreshToken({ refreshToken: user.refreshToken });
      expect(await ids(replica)).toEqual([user.sessionId, phone.sessionId]); // most recently seen first
      await sessionsOf(t, user.accessToken).revokeSession({ sessionId: phone.sessionId });
      expect(await ids(replica)).toEqual([user.sessionId]);
    });

    it("pages with next_page_token, and refuses a token it did not issue", async () => {
      const user = await registerUser(t);
      for (let i = 0; i < 4; i++) {
        clock.advance(1_000);
        await signIn(t, user);
      }
      const client = sessionsOf(t, user.accessToken);
      const first = await client.listSessions({ limit: 2 });
      const second = await client.listSessions({ limit: 2, pageToken: first.nextPageToken });
      const third = await client.listSessions({ limit: 2, pageToken: second.nextPageToken });
      const ids = [...first.sessions, ...second.sessions, ...third.sessions].map((s) => s.sessionId);
      expect(ids).toHaveLength(5);
      expect(new Set(ids).size).toBe(5);
      expect(third.nextPageToken).toBe("");
      await expect(client.listSessions({ pageToken: "bm90LWEtdG9rZW4" })).rejects.toMatchObject({ code: Code.InvalidArgument });
    });
  });

  describe("RevokeSession", () => {
    it("signs the session out on every replica at once, and leaves the caller's own session alone", async () => {
      const user = await registerUser(t);
      const laptop = await signIn(t, user, { deviceId: "laptop-1" });
      // The replica has checked the laptop's session and holds it as good.
      await expect(profileClient(replica, laptop.accessToken).getProfile({})).resolves.toMatchObject({ userId: user.userId });

      await sessionsOf(t, user.accessToken).revokeSession({ sessionId: laptop.sessionId });

      expect(await refusedWithin(replica, laptop.accessToken)).toBe(true);
      await expect(authClient(t).refreshToken({ refreshToken: laptop.refreshToken })).rejects.toMatchObject({ code: Code.Unauthenticated });
      expect((await sessionsOf(t, user.accessToken).listSessions({})).sessions.map((s) => s.sessionId)).toEqual([user.sessionId]);
      const audit = await t.db.selectFrom("audit_trail").select("actor_user_id").where("action", "=", "session.revoke").where("resource_id", "=", laptop.sessionId).execute();
      expect(audit).toEqual([{ actor_user_id: user.userId }]);
    });

    it("answers NOT_FOUND for another user's session, and nothing happens to it; and for one already revoked", async () => {
      const [owner, other] = [await registerUser(t), await registerUser(t)];
      await expect(sessionsOf(t, other.accessToken).revokeSession({ sessionId: owner.sessionId })).rejects.toMatchObject({ code: Code.NotFound });
      await expect(profileClient(t, owner.accessToken).getProfile({})).resolves.toMatchObject({ userId: owner.userId });
      const second = await signIn(t, owner);
      await sessionsOf(t, owner.accessToken).revokeSession({ sessionId: second.sessionId });
      await expect(sessionsOf(t, owner.accessToken).revokeSession({ sessionId: second.sessionId })).rejects.toMatchObject({ code: Code.NotFound });
    });
  });

  describe("TrustDevice", () => {
    it("lets sign-ins from the trusted device skip the second factor until trust ends, and no other device", async () => {
      const user = await registerUser(t);
      const { backupCodes } = await enrolTotp(t, user, clock.now());
      const login = (deviceId: string) => authClient(t).login({ email: user.email, password: user.password, device: { deviceId } });
      const challenged = async (deviceId: string) => (await login(deviceId)).result.case;

      // The tablet's first sign-in answers the challenge (with a backup code); its session then trusts the tablet.
      const first = await startChallenge(t, user, { deviceId: "tablet-1" });
      const { tokens } = await authClient(t).completeMfaChallenge({ challengeId: first.challengeId, code: backupCodes[0]!, mfaType: MfaType.BACKUP_CODE });
      const trusted = await sessionsOf(t, tokens!.accessToken).trustDevice({ sessionId: tokens!.sessionId, trusted: true });
      expect(trusted.session).toMatchObject({ sessionId: tokens!.sessionId, trusted: true });

      expect(await challenged("tablet-1")).toBe("tokens");
      expect(await challenged("phone-9")).toBe("mfaChallenge");
      clock.advance(30 * DAY + 1_000);
      expect(await challenged("tablet-1")).toBe("mfaChallenge");
    });

    it("ends the trust when the device's session is revoked, and answers NOT_FOUND for another user's session", async () => {
      const [user, other] = [await registerUser(t), await registerUser(t)];
      const tablet = await signIn(t, user, { deviceId: "tablet-2" });
      await sessionsOf(t, user.accessToken).trustDevice({ sessionId: tablet.sessionId, trusted: true });
      await expect(sessionsOf(t, other.accessToken).trustDevice({ sessionId: tablet.sessionId, trusted: false })).rejects.toMatchObject({ code: Code.NotFound });
      await sessionsOf(t, user.accessToken).revokeSession({ sessionId: tablet.sessionId });
      const trust = await t.db.selectFrom("trusted_devices").select("device_id").where("user_id", "=", user.userId).execute();
      expect(trust).toEqual([]);
    });

    it("refuses a session opened without a device id with FAILED_PRECONDITION", async () => {
      const user = await registerUser(t);
      await expect(sessionsOf(t, user.accessToken).trustDevice({ sessionId: user.sessionId, trusted: true })).rejects.toMatchObject({ code: Code.FailedPrecondition });
    });
  });

  describe("timeouts", () => {
    it("ends a session left idle for SESSION_IDLE_TIMEOUT: its refresh token is refused and it leaves the list", async () => {
      const user = await registerUser(t);
      const idle = await signIn(t, user);
      clock.advance(6 * DAY);
      const fresh = await authClient(t).refreshToken({ refreshToken: user.refreshToken });
      clock.advance(DAY + 1_000);
      await expect(authClient(t).refreshToken({ refreshToken: idle.refreshToken })).rejects.toMatchObject({ code: Code.Unauthenticated });
      const current = await authClient(t).refreshToken({ refreshToken: fresh.tokens!.refreshToken });
      const { sessions } = await sessionsOf(t, current.tokens!.accessToken).listSessions({});
      expect(sessions.map((s) => s.sessionId)).toEqual([user.sessionId]);
      const revoked = await t.db.selectFrom("sessions").select("revoke_reason").where("id", "=", idle.sessionId).executeTakeFirstOrThrow();
      expect(revoked.revoke_reason).toBe("idle_timeout");
    });

    it("ends a session SESSION_MAX_LIFETIME after sign-in however often it is refreshed", async () => {
      const user = await registerUser(t);
      let refreshToken = user.refreshToken;
      for (let day = 6; day < 30; day += 6) {
        clock.advance(6 * DAY);
        refreshToken = (await authClient(t).refreshToken({ refreshToken })).tokens!.refreshToken;
      }
      clock.advance(6 * DAY);
      await expect(authClient(t).refreshToken({ refreshToken })).rejects.toMatchObject({ code: Code.Unauthenticated });
    });
  });
});

const cityDatabase = referenceDataFile("geoip/GeoIP2-City-Test.mmdb");
const describeWithGeoIp = (await servicesAvailable()) && cityDatabase ? describe : describe.skip;

describeWithGeoIp("session locations with GEOIP_DB_FILE", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { GEOIP_DB_FILE: cityDatabase!, TRUSTED_PROXY_HOPS: "1" } });
  });
  afterAll(() => t?.close());

  it("records the country and city the sign-in came from", async () => {
    const user = await registerUser(t);
    const fromLondon = createConnectTransport({
      baseUrl: t.baseUrl,
      httpVersion: "2",
      interceptors: [(next) => (req) => (req.header.set("x-forwarded-for", "81.2.69.160"), next(req))],
    });
    const res = await createClient(AuthService, fromLondon).login({ email: user.email, password: user.password });
    const sessionId = (res.result.value as { sessionId: string }).sessionId;
    const { sessions } = await sessionsOf(t, user.accessToken).listSessions({});
    expect(sessions.find((s) => s.sessionId === sessionId)).toMatchObject({ ipAddress: "81.2.69.160", country: "GB", city: "London" });
    expect(sessions.find((s) => s.sessionId === user.sessionId)).toMatchObject({ country: "", city: "" });
  });
});
