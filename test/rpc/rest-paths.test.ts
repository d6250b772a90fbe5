import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { generate } from "otplib";
import { startTestApp, type TestApp } from "../support/app.js";
import { GOOD_PASSWORD, registerUser, registerWithRole, uniqueEmail, type RegisteredUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const ENHANCEMENTS = "/api/user-enhancements";

type Body = Record<string, unknown>;

describeWithServices("the seeds' REST paths", () => {
  let t: TestApp;
  let user: RegisteredUser;
  let admin: RegisteredUser;
  let officer: RegisteredUser;

  /** rest calls a REST path as `token`'s user (or anonymously) and returns the status and the JSON answer. */
  async function rest(method: string, path: string, options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      headers["content-type"] ??= "application/json";
      body = JSON.stringify(options.body);
    }
    const res = await fetch(`${t.baseUrl}${path}`, { method, headers, body });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Body };
  }

  beforeAll(async () => {
    t = await startTestApp();
    user = await registerUser(t);
    admin = await registerWithRole(t, "admin");
    officer = await registerWithRole(t, "compliance_officer");
  });
  afterAll(() => t?.close());

  describe("User Management Service", () => {
    it("POST /user/register takes the seed's body and answers in its names", async () => {
      const email = uniqueEmail("seed");
      const { status, json } = await rest("POST", "/user/register", {
        body: {
          email,
          password: GOOD_PASSWORD,
          full_name: "Jane Trader",
          registration_type: "email",
          profile_details: { investment_profile: "moderate", risk_tolerance: "medium" },
        },
      });
      expect(status).toBe(200);
      expect(json).toMatchObject({ user_id: expect.any(String), access_token: expect.any(String), refresh_token: expect.any(String), status: "pending" });
      expect(json.session_id).toEqual(expect.any(String));
      expect(json).not.toHaveProperty("userId");

      const profile = await rest("GET", "/user/profile", { token: json.access_token as string });
      expect(profile.status).toBe(200);
      expect(profile.json).toMatchObject({
        user_id: json.user_id,
        email,
        full_name: "Jane Trader",
        profile_details: { investment_profile: "moderate", risk_tolerance: "medium" },
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    });

    it("refuses what the RPC refuses, with the HTTP status of the code and a {code, message} body", async () => {
      const badEmail = await rest("POST", "/user/register", { body: { email: "not-an-email", password: GOOD_PASSWORD, full_name: "X" } });
      expect(badEmail.status).toBe(400);
      expect(badEmail.json).toEqual({ code: "invalid_argument", message: expect.stringContaining("email") });

      const duplicate = await rest("POST", "/user/register", { body: { email: user.email, password: GOOD_PASSWORD, full_name: "Again" } });
      expect(duplicate.status).toBe(409);
      expect(duplicate.json.code).toBe("already_exists");

      const anonymous = await rest("GET", "/user/profile");
      expect(anonymous.status).toBe(401);
      expect(anonymous.json.code).toBe("unauthenticated");
    });

    it("refuses an unknown field, an unknown enum spelling, bad JSON and a body that is no object", async () => {
      const base = { email: uniqueEmail(), password: GOOD_PASSWORD, full_name: "Typo" };
      const unknownField = await rest("POST", "/user/register", { body: { ...base, fullname: "typo" } });
      expect(unknownField.status).toBe(400);
      expect(unknownField.json.code).toBe("invalid_argument");
      const unknownEnum = await rest("POST", "/user/register", { body: { ...base, registration_type: "carrier_pigeon" } });
      expect(unknownEnum.status).toBe(400);
      expect(unknownEnum.json.message).toBe('registration_type: unknown value "carrier_pigeon"; use one of email, google, apple, enterprise');
      const badJson = await rest("POST", "/user/register", { rawBody: "{", headers: { "content-type": "application/json" } });
      expect(badJson).toMatchObject({ status: 400, json: { code: "invalid_argument" } });
      const array = await rest("POST", "/user/register", { body: [base] });
      expect(array).toMatchObject({ status: 400, json: { code: "invalid_argument" } });
      const form = await rest("POST", "/user/register", { rawBody: "email=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
      expect(form.status).toBe(415);
    });

    it("answers over HTTP/2 cleartext on the same port, with and without a body", async () => {
      const session = http2.connect(t.baseUrl);
      const call = (headers: http2.OutgoingHttpHeaders, body?: string) =>
        new Promise<{ status: number; json: Body }>((resolve, reject) => {
          const stream = session.request(headers, { endStream: body === undefined });
          let status = 0;
          let text = "";
          stream.on("response", (h) => (status = Number(h[":status"])));
          stream.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
          stream.on("end", () => resolve({ status, json: JSON.parse(text) as Body }));
          stream.on("error", reject);
          if (body !== undefined) stream.end(body);
        });
      try {
        const email = uniqueEmail("h2");
        const registered = await call(
          { ":method": "POST", ":path": "/user/register", "content-type": "application/json" },
          JSON.stringify({ email, password: GOOD_PASSWORD, full_name: "Over H2" }),
        );
        expect(registered.status).toBe(200);
        const profile = await call({ ":method": "GET", ":path": "/user/profile", authorization: `Bearer ${registered.json.access_token as string}` });
        expect(profile).toMatchObject({ status: 200, json: { user_id: registered.json.user_id, email, full_name: "Over H2" } });
      } finally {
        session.close();
      }
    });

    it("answers 405 naming the allowed method when the path exists under another one", async () => {
      const res = await rest("DELETE", "/user/profile", { token: user.accessToken });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("GET");
    });
  });

  describe("User Service Enhancements", () => {
    it("sets up and verifies TOTP, then lists the method", async () => {
      const owner = await registerUser(t);
      const setup = await rest("POST", `${ENHANCEMENTS}/users/mfa/setup`, { token: owner.accessToken, body: { mfa_type: "totp" } });
      expect(setup.status).toBe(200);
      expect(setup.json).toMatchObject({ method_id: expect.any(String), secret: expect.any(String), otpauth_uri: expect.stringMatching(/^otpauth:\/\/totp\//) });
      const png = Buffer.from(setup.json.qr_code_png as string, "base64");
      expect(png.subarray(1, 4).toString()).toBe("PNG");

      const code = await generate({ secret: setup.json.secret as string, epoch: Math.floor(Date.now() / 1000) - 30 });
      const verify = await rest("POST", `${ENHANCEMENTS}/users/mfa/verify`, { token: owner.accessToken, body: { mfa_type: "totp", code } });
      expect(verify.status).toBe(200);
      expect(verify.json.verified).toBe(true);
      expect(verify.json.backup_codes).toHaveLength(10);

      const methods = await rest("GET", `${ENHANCEMENTS}/users/mfa/methods`, { token: owner.accessToken });
      expect(methods.status).toBe(200);
      expect(methods.json.methods).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ method_id: setup.json.method_id, mfa_type: "totp", active: true }),
          expect.objectContaining({ mfa_type: "backup_code", remaining_backup_codes: 10 }),
        ]),
      );
    });

    it("lists sessions and revokes one by its id in the path; another user's session is not found", async () => {
      const owner = await registerUser(t);
      const second = await rest("POST", "/platform.user.v1.AuthService/Login", { body: { email: owner.email, password: GOOD_PASSWORD } });
      const otherSessionId = (second.json.tokens as Body).sessionId as string;

      const listed = await rest("GET", `${ENHANCEMENTS}/users/sessions`, { token: owner.accessToken });
      expect(listed.status).toBe(200);
      const sessions = listed.json.sessions as Body[];
      expect(sessions.map((s) => s.session_id)).toEqual(expect.arrayContaining([owner.sessionId, otherSessionId]));
      expect(sessions.find((s) => s.session_id === owner.sessionId)).toMatchObject({ current: true, device_type: expect.any(String) });

      const stranger = await rest("DELETE", `${ENHANCEMENTS}/users/sessions/${otherSessionId}`, { token: user.accessToken });
      expect(stranger).toMatchObject({ status: 404, json: { code: "not_found" } });

      const revoked = await rest("DELETE", `${ENHANCEMENTS}/users/sessions/${otherSessionId}`, { token: owner.accessToken });
      expect(revoked).toEqual(expect.objectContaining({ status: 200, json: {} }));
      const after = await rest("GET", `${ENHANCEMENTS}/users/sessions`, { token: owner.accessToken });
      expect((after.json.sessions as Body[]).map((s) => s.session_id)).not.toContain(otherSessionId);
    });

    it("lists activity with limit and activity_type from the query", async () => {
      await t.app.context.activityRecorder.flush();
      const { status, json } = await rest("GET", `${ENHANCEMENTS}/users/activity?limit=5&activity_type=login`, { token: user.accessToken });
      expect(status).toBe(200);
      const activities = json.activities as Body[];
      expect(activities.length).toBeGreaterThan(0);
      expect(activities.length).toBeLessThanOrEqual(5);
      for (const activity of activities) expect(activity.activity_type).toBe("login");

      const unknown = await rest("GET", `${ENHANCEMENTS}/users/activity?limit=5&kind=login`, { token: user.accessToken });
      expect(unknown).toMatchObject({ status: 400, json: { code: "invalid_argument", message: expect.stringContaining("kind") } });
      const notANumber = await rest("GET", `${ENHANCEMENTS}/users/activity?limit=lots`, { token: user.accessToken });
      expect(notANumber).toMatchObject({ status: 400, json: { code: "invalid_argument" } });
    });

    it("reads and replaces preferences with the seed's body", async () => {
      const owner = await registerUser(t);
      const before = await rest("GET", `${ENHANCEMENTS}/users/preferences`, { token: owner.accessToken });
      expect(before.status).toBe(200);
      expect((before.json.preferences as Body).theme).toBe("system");

      const seed = {
        theme: "dark",
        language: "en",
        timezone: "America/New_York",
        email_notifications: { security_alerts: true, trade_confirmations: true, price_alerts: true, account_updates: true, marketing: false },
        sms_notifications: { security_alerts: true, trade_confirmations: false, price_alerts: false, account_updates: false, marketing: false },
        trading_preferences: { default_order_type: "limit", confirm_orders: true, default_currency: "USD", risk_warnings: true },
      };
      const put = await rest("PUT", `${ENHANCEMENTS}/users/preferences`, { token: owner.accessToken, body: seed });
      expect(put.status).toBe(200);
      expect(put.json.preferences).toEqual(seed);
      const after = await rest("GET", `${ENHANCEMENTS}/users/preferences`, { token: owner.accessToken });
      expect(after.json.preferences).toEqual(seed);

      const badZone = await rest("PUT", `${ENHANCEMENTS}/users/preferences`, { token: owner.accessToken, body: { ...seed, timezone: "Mars/Olympus_Mons" } });
      expect(badZone).toMatchObject({ status: 400, json: { code: "invalid_argument" } });
    });

    it("reports metrics for the days in the query", async () => {
      const { status, json } = await rest("GET", `${ENHANCEMENTS}/users/metrics?days=30`, { token: user.accessToken });
      expect(status).toBe(200);
      expect(json).toMatchObject({ user_id: user.userId, window_start: expect.any(String) });
      expect(Array.isArray(json.activity_counts)).toBe(true);
    });

    it("changes a user's status with the seed's body, for an administrator only", async () => {
      const target = await registerUser(t);
      const body = { new_status: "suspended", reason: "Suspicious trading pattern under review" };
      const refused = await rest("PUT", `${ENHANCEMENTS}/users/${target.userId}/status`, { token: user.accessToken, body });
      expect(refused).toMatchObject({ status: 403, json: { code: "permission_denied" } });

      const changed = await rest("PUT", `${ENHANCEMENTS}/users/${target.userId}/status`, { token: admin.accessToken, body });
      expect(changed.status).toBe(200);
      expect(changed.json.status_change).toMatchObject({ new_status: "suspended", reason: body.reason });

      const inBoth = await rest("PUT", `${ENHANCEMENTS}/users/${target.userId}/status`, { token: admin.accessToken, body: { ...body, user_id: user.userId } });
      expect(inBoth).toMatchObject({ status: 400, json: { code: "invalid_argument" } });
    });

    it("reads a compliance profile for a compliance officer, not for the user next door", async () => {
      const read = await rest("GET", `${ENHANCEMENTS}/users/${user.userId}/compliance`, { token: officer.accessToken });
      expect(read.status).toBe(200);
      expect(read.json).toMatchObject({ user_id: user.userId, kyc_status: expect.any(String), risk_rating: expect.any(String) });
      expect(read.json.kyc_status).toMatch(/^[a-z_]+$/);

      const other = await registerUser(t);
      const refused = await rest("GET", `${ENHANCEMENTS}/users/${user.userId}/compliance`, { token: other.accessToken });
      expect(refused.status).toBe(403);
    });

    it("creates an organization with the seed's body and lists it", async () => {
      const owner = await registerUser(t);
      const seed = { name: `acme-${Date.now()}`, display_name: "Acme Trading LLC", organization_type: "trading_firm", subscription_tier: "enterprise" };
      const created = await rest("POST", `${ENHANCEMENTS}/organizations`, { token: owner.accessToken, body: seed });
      expect(created.status).toBe(200);
      expect(created.json.organization).toMatchObject({ ...seed, organization_id: expect.any(String), caller_role: "admin" });

      const listed = await rest("GET", `${ENHANCEMENTS}/organizations`, { token: owner.accessToken });
      expect(listed.status).toBe(200);
      expect(listed.json.organizations).toEqual([expect.objectContaining({ organization_id: (created.json.organization as Body).organization_id })]);
    });

    it("lists the audit trail with limit and resource_type from the query, for an auditor only", async () => {
      const { status, json } = await rest("GET", `${ENHANCEMENTS}/audit-trail?limit=3&resource_type=user`, { token: admin.accessToken });
      expect(status).toBe(200);
      const entries = json.entries as Body[];
      expect(entries.length).toBeGreaterThan(0);
      expect(entries.length).toBeLessThanOrEqual(3);
      for (const entry of entries) expect(entry.resource_type).toBe("user");

      const refused = await rest("GET", `${ENHANCEMENTS}/audit-trail?limit=3`, { token: user.accessToken });
      expect(refused.status).toBe(403);
    });
  });
});
