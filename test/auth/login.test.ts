import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { LoginRequestSchema } from "../../gen/platform/user/v1/auth_service_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, registerUser, uniqueEmail, type RegisteredUser } from "../support/factories.js";
import { failure } from "../support/failure.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

type LoginInit = MessageInitShape<typeof LoginRequestSchema>;

const WRONG_PASSWORD = "not-the-right-password-42";
const HIGH = "100000";

function login(t: TestApp, request: LoginInit) {
  return authClient(t).login(request);
}

/** signIn logs in and returns the tokens, failing the test on an MFA challenge. */
async function signIn(t: TestApp, request: LoginInit) {
  const res = await login(t, request);
  if (res.result.case !== "tokens") throw new Error(`expected tokens, got ${res.result.case}`);
  return res.result.value;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** burstMs times 6 concurrent sign-ins that must all be refused as invalid credentials. */
async function burstMs(attempt: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  const errors = await Promise.all(Array.from({ length: 6 }, () => failure(attempt())));
  const elapsed = performance.now() - start;
  expect(errors.map((error) => error.code)).toEqual(Array(6).fill(Code.Unauthenticated));
  return elapsed;
}

describeWithServices("AuthService", () => {
  describe("Login", () => {
    let t: TestApp;
    beforeAll(async () => {
      // 3 failures per account from one address (the tests all call from 127.0.0.1).
      t = await startTestApp({ env: { LOGIN_FAILURES_PER_ACCOUNT_ADDRESS: "3", LOGIN_FAILURES_PER_IP: HIGH, REGISTRATIONS_PER_IP_PER_HOUR: HIGH } });
    });
    afterAll(() => t?.close());

    it("returns tokens of a new session for the right password", async () => {
      const user = await registerUser(t);
      const tokens = await signIn(t, { email: user.email, password: user.password });
      expect(tokens.userId).toBe(user.userId);
      expect(tokens.accessToken.split(".")).toHaveLength(3);
      expect(tokens.refreshToken).not.toBe("");
      expect(tokens.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(tokens.sessionId).not.toBe(user.sessionId);
      expect(tokens.expiresIn).toBe(3600);
    });

    it("matches the email whatever its case and surrounding whitespace", async () => {
      const user = await registerUser(t);
      const tokens = await signIn(t, { email: `  ${user.email.toUpperCase()} `, password: user.password });
      expect(tokens.userId).toBe(user.userId);
    });

    // NIST 800-63B 5.1.1.2: the same password typed on a keyboard that sends precomposed letters
    // (NFC) and on one that sends letters and combining accents (NFD) must be the same password.
    describe("with a password in another Unicode normalisation form", () => {
      const nfc = "Crème brûlée à Ångström";
      const nfd = nfc.normalize("NFD");

      it.each([
        ["NFC", "NFD", nfc, nfd],
        ["NFD", "NFC", nfd, nfc],
      ])("signs in a user registered with the %s form using the %s form", async (_, __, registeredWith, signInWith) => {
        expect(registeredWith).not.toBe(signInWith);
        const email = uniqueEmail();
        const registered = await authClient(t).register({ email, password: registeredWith, fullName: "Test User" });

        const tokens = await signIn(t, { email, password: signInWith });

        expect(tokens.userId).toBe(registered.userId);
      });

      it("still refuses a different password with the same letters unaccented", async () => {
        const email = uniqueEmail();
        await authClient(t).register({ email, password: nfc, fullName: "Test User" });

        expect((await failure(login(t, { email, password: "Creme brulee a Angstrom" }))).code).toBe(Code.Unauthenticated);
      });
    });

    it("records the session with the client's address and user agent", async () => {
      const user = await registerUser(t);
      const tokens = await signIn(t, { email: user.email, password: user.password, device: { userAgent: "LoginTest/1.0 (X11; Linux)", deviceName: "CI box" } });
      const session = await t.db.selectFrom("sessions").selectAll().where("id", "=", tokens.sessionId).executeTakeFirstOrThrow();
      expect(session).toMatchObject({
        user_id: user.userId,
        ip_address: "127.0.0.1",
        user_agent: "LoginTest/1.0 (X11; Linux)",
        device_name: "CI box",
        amr: ["pwd"],
        revoked_at: null,
      });
    });

    it("records the sign-in in the audit trail", async () => {
      const user = await registerUser(t);
      const tokens = await signIn(t, { email: user.email, password: user.password });
      const audit = await t.db
        .selectFrom("audit_trail")
        .selectAll()
        .where("action", "=", "auth.login")
        .where("resource_id", "=", tokens.sessionId)
        .executeTakeFirstOrThrow();
      expect(audit).toMatchObject({ actor_user_id: user.userId, resource_type: "session", ip_address: "127.0.0.1" });
    });

    it("answers an unknown email and a wrong password with the same code and message", async () => {
      const user = await registerUser(t);
      const unknown = await failure(login(t, { email: uniqueEmail("nobody"), password: user.password }));
      const wrong = await failure(login(t, { email: user.email, password: WRONG_PASSWORD }));
      expect(unknown.code).toBe(Code.Unauthenticated);
      expect(wrong.code).toBe(Code.Unauthenticated);
      expect(wrong.rawMessage).toBe(unknown.rawMessage);
      expect(wrong.metadata.get("x-error-reason")).toBe(unknown.metadata.get("x-error-reason"));
    });

    it("answers RESOURCE_EXHAUSTED even to the right password after 3 failures on the account", async () => {
      const user = await registerUser(t);
      for (let i = 0; i < 3; i++) {
        await expect(login(t, { email: user.email, password: WRONG_PASSWORD })).rejects.toMatchObject({ code: Code.Unauthenticated });
      }
      const locked = await failure(login(t, { email: user.email, password: user.password }));
      expect(locked.code).toBe(Code.ResourceExhausted);
      expect(locked.metadata.get("x-error-reason")).toBe("login_locked_account_address");
      expect(Number(locked.metadata.get("retry-after"))).toBeGreaterThan(0);
      // The lockout is per account: another account from the same address still signs in.
      const other = await registerUser(t);
      await expect(signIn(t, { email: other.email, password: other.password })).resolves.toMatchObject({ userId: other.userId });
    });

    it("checks no more than 3 passwords of an account however many guesses arrive at once", async () => {
      const user = await registerUser(t);
      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, () => login(t, { email: user.email, password: WRONG_PASSWORD })));
      const codes = outcomes.map((o) => (o.status === "rejected" ? (o.reason as { code: Code }).code : "ok"));
      expect(codes.filter((c) => c === Code.Unauthenticated)).toHaveLength(3);
      expect(codes.filter((c) => c === Code.ResourceExhausted)).toHaveLength(9);
    });

    it("forgets an account's failures after a successful sign-in", async () => {
      const user = await registerUser(t);
      const failTwice = async () => {
        for (let i = 0; i < 2; i++) {
          await expect(login(t, { email: user.email, password: WRONG_PASSWORD })).rejects.toMatchObject({ code: Code.Unauthenticated });
        }
      };
      await failTwice();
      await signIn(t, { email: user.email, password: user.password });
      await failTwice();
      await expect(signIn(t, { email: user.email, password: user.password })).resolves.toMatchObject({ userId: user.userId });
    });

    it("answers FAILED_PRECONDITION to a suspended account only when the password is right", async () => {
      const user = await registerUser(t);
      await t.db.updateTable("users").set({ status: "suspended" }).where("id", "=", user.userId).execute();
      await expect(login(t, { email: user.email, password: user.password })).rejects.toMatchObject({ code: Code.FailedPrecondition });
      // A wrong password must not reveal that the account exists and is suspended.
      await expect(login(t, { email: user.email, password: WRONG_PASSWORD })).rejects.toMatchObject({ code: Code.Unauthenticated });
    });

    it("records a failed sign-in of an existing account in the audit trail", async () => {
      const user = await registerUser(t);
      await expect(login(t, { email: user.email, password: WRONG_PASSWORD })).rejects.toMatchObject({ code: Code.Unauthenticated });
      const findRow = () =>
        t.db
          .selectFrom("audit_trail")
          .selectAll()
          .where("action", "=", "auth.login_failed")
          .where("resource_id", "=", user.userId)
          .executeTakeFirst();
      // Written off the response path, so it may land just after the answer.
      let row = await findRow();
      for (let waited = 0; !row && waited < 3_000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        row = await findRow();
      }
      expect(row).toMatchObject({ resource_type: "user", ip_address: "127.0.0.1" });
    });

    it.each<[string, LoginInit]>([
      ["the email is empty", { email: "", password: "whatever-password" }],
      ["the password is empty", { email: "someone@example.com", password: "" }],
      ["the password is longer than 128 characters", { email: "someone@example.com", password: "p".repeat(129) }],
    ])("answers INVALID_ARGUMENT when %s", async (_, request) => {
      await expect(login(t, request)).rejects.toMatchObject({ code: Code.InvalidArgument });
    });
  });

  describe("Login with a per-IP limit of 3 failures", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { LOGIN_FAILURES_PER_IP: "3", LOGIN_FAILURES_PER_ACCOUNT: HIGH, REGISTRATIONS_PER_IP_PER_HOUR: HIGH } });
    });
    afterAll(() => t?.close());

    it("answers RESOURCE_EXHAUSTED once one address failed on 3 different accounts", async () => {
      const failing: RegisteredUser[] = [];
      for (let i = 0; i < 3; i++) failing.push(await registerUser(t));
      const innocent = await registerUser(t);
      for (const user of failing) {
        await expect(login(t, { email: user.email, password: WRONG_PASSWORD })).rejects.toMatchObject({ code: Code.Unauthenticated });
      }
      const refused = await failure(login(t, { email: innocent.email, password: innocent.password }));
      expect(refused.code).toBe(Code.ResourceExhausted);
      expect(refused.metadata.get("x-error-reason")).toBe("login_rate_ip");
      expect(Number(refused.metadata.get("retry-after"))).toBeGreaterThan(0);
    });
  });

  describe("Login timing", () => {
    let t: TestApp;
    beforeAll(async () => {
      // One hash at a time: a burst of attempts then costs one argon2 verification each, which
      // outweighs the per-request overhead that would otherwise hide a skipped verification.
      t = await startTestApp({
        env: { LOGIN_FAILURES_PER_IP: HIGH, LOGIN_FAILURES_PER_ACCOUNT: HIGH, LOGIN_FAILURES_PER_ACCOUNT_ADDRESS: "10000", LOGIN_SLOWDOWN_BASE_MS: "0", PASSWORD_HASH_CONCURRENCY: "1" },
      });
    });
    afterAll(() => t?.close());

    it("takes about as long for an unknown email as for a wrong password", async () => {
      const user = await registerUser(t);
      const unknownEmail = () => login(t, { email: uniqueEmail("nobody"), password: WRONG_PASSWORD });
      const wrongPassword = () => login(t, { email: user.email, password: WRONG_PASSWORD });
      // Warm-up: the first calls pay for connections and lazy initialisation.
      await burstMs(unknownEmail);
      await burstMs(wrongPassword);
      const unknown: number[] = [];
      const wrong: number[] = [];
      // Interleaved so that load from other processes falls on both series alike.
      for (let i = 0; i < 6; i++) {
        unknown.push(await burstMs(unknownEmail));
        wrong.push(await burstMs(wrongPassword));
      }
      // Skipping the hash for unknown accounts makes their bursts several times faster.
      expect(median(unknown)).toBeGreaterThanOrEqual(0.5 * median(wrong));
    });
  });
});
