import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "../../gen/platform/user/v1/auth_service_pb.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { addressKey, slowdownMs } from "../../src/features/auth/sign-in-throttle.js";
import { createLogger } from "../../src/platform/logger.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { registerUser, uniqueEmail, type RegisteredUser } from "../support/factories.js";
import { failure } from "../support/failure.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const WRONG_PASSWORD = "not-the-right-password-42";
const HIGH = "100000";

/** authFrom is an AuthService client whose calls reach the service from `address` (through one trusted proxy). */
function authFrom(t: TestApp, address: string, headers: Record<string, string> = {}) {
  return createClient(
    AuthService,
    createConnectTransport({
      baseUrl: t.baseUrl,
      httpVersion: "2",
      interceptors: [
        (next) => (req) => {
          req.header.set("x-forwarded-for", address);
          for (const [name, value] of Object.entries(headers)) req.header.set(name, value);
          return next(req);
        },
      ],
    }),
  );
}

let addresses = 0;
/** randomAddress is an IPv4 address (benchmarking range) no other call of it returns. */
const randomAddress = () => `198.18.${++addresses >> 8}.${addresses & 255}`;

const newDeviceId = () => `device-${randomBytes(8).toString("hex")}`;

/** signIn signs in and fails the test unless tokens come back. */
async function signIn(t: TestApp, address: string, request: { email: string; password: string; device?: { deviceId: string } }) {
  const res = await authFrom(t, address).login(request);
  expect(res.result.case).toBe("tokens");
}

/** failTimes sends `times` wrong passwords from address and expects each to be answered UNAUTHENTICATED. */
async function failTimes(t: TestApp, address: string, email: string, times: number, device?: { deviceId: string }) {
  for (let i = 0; i < times; i++) {
    await expect(authFrom(t, address).login({ email, password: WRONG_PASSWORD, device })).rejects.toMatchObject({ code: Code.Unauthenticated });
  }
}

/** refusedWith expects a sign-in to be refused as RESOURCE_EXHAUSTED by the named limit. */
async function refusedWith(call: Promise<unknown>, reason: string) {
  const error = await failure(call);
  expect(error.code).toBe(Code.ResourceExhausted);
  expect(error.metadata.get("x-error-reason")).toBe(reason);
  expect(Number(error.metadata.get("retry-after"))).toBeGreaterThan(0);
}

/** metric reads one sample of the service's /metrics; 0 when it has not been counted yet. */
async function metric(t: TestApp, sample: string): Promise<number> {
  const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

/** eventually polls until check returns something, for rows written off the response path. */
async function eventually<T>(check: () => Promise<T | undefined>, ms = 5_000): Promise<T | undefined> {
  let found = await check();
  for (let waited = 0; found === undefined && waited < ms; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    found = await check();
  }
  return found;
}

describe("sign-in throttle policy", () => {
  it("slows down after the free attempts, doubling, never more than 4 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 40].map((n) => slowdownMs(n, 3, 1_000))).toEqual([0, 0, 0, 1_000, 2_000, 4_000, 4_000, 4_000]);
    expect(slowdownMs(10, 3, 0)).toBe(0);
  });

  it("refuses an account ceiling one address alone could reach, and waits longer than 4 s", () => {
    const variableOf = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        if (error instanceof ConfigError) return error.variable;
        throw error;
      }
      return undefined;
    };
    expect(variableOf({ LOGIN_FAILURES_PER_ACCOUNT: "10", LOGIN_FAILURES_PER_ACCOUNT_ADDRESS: "10" })).toBe("LOGIN_FAILURES_PER_ACCOUNT");
    expect(variableOf({ LOGIN_FAILURES_PER_ACCOUNT: "11", LOGIN_FAILURES_PER_ACCOUNT_ADDRESS: "10" })).toBeUndefined();
    expect(variableOf({ LOGIN_SLOWDOWN_BASE_MS: "4001" })).toBe("LOGIN_SLOWDOWN_BASE_MS");
    expect(loadConfig({}).limits).toMatchObject({ loginFailuresPerAccountAddress: 10, loginFailuresPerDevice: 10, loginFailuresPerAccount: 100 });
  });

  it("counts IPv6 clients by their /64 and IPv4 clients by their address", () => {
    expect(addressKey("2001:db8:1:2::a")).toBe(addressKey("2001:0db8:0001:0002:ffff:1:2:3"));
    expect(addressKey("2001:db8:1:2::a")).not.toBe(addressKey("2001:db8:1:3::a"));
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey(undefined)).toBe("unknown");
  });
});

describeWithServices("Login lockout", () => {
  let t: TestApp;
  let lines: Array<Record<string, unknown>>;
  beforeAll(async () => {
    lines = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    t = await startTestApp({
      log: createLogger("info", sink),
      env: {
        TRUSTED_PROXY_HOPS: "1",
        LOGIN_FAILURES_PER_ACCOUNT_ADDRESS: "3",
        LOGIN_FAILURES_PER_DEVICE: "3",
        LOGIN_FAILURES_PER_ACCOUNT: "7",
        LOGIN_FAILURES_PER_IP: HIGH,
        LOGIN_SLOWDOWN_BASE_MS: "0",
        REGISTRATIONS_PER_IP_PER_HOUR: HIGH,
      },
    });
  });
  afterAll(() => t?.close());

  /** ownerWithDevice registers a user who then signs in once from a device of theirs. */
  async function ownerWithDevice(): Promise<{ user: RegisteredUser; device: { deviceId: string }; home: string }> {
    const user = await registerUser(t);
    const device = { deviceId: newDeviceId() };
    const home = randomAddress();
    await signIn(t, home, { email: user.email, password: user.password, device });
    return { user, device, home };
  }

  it("does not let one attacking address lock the owner out, from a known device or another address", async () => {
    const { user, device, home } = await ownerWithDevice();
    const attacker = randomAddress();
    await failTimes(t, attacker, user.email, 3);
    // Even the right password is refused from the attacker's address now, however often it knocks...
    for (let i = 0; i < 10; i++) {
      await refusedWith(authFrom(t, attacker).login({ email: user.email, password: user.password }), "login_locked_account_address");
    }
    // ...but its refused attempts do not use up the account's shared budget: the owner signs in.
    await signIn(t, home, { email: user.email, password: user.password, device });
    await signIn(t, randomAddress(), { email: user.email, password: user.password });
    // A known device keeps its own budget even at the attacker's address.
    await signIn(t, attacker, { email: user.email, password: user.password, device });
  });

  it("gives no budget of its own to a device id that never signed in to the account", async () => {
    const { user } = await ownerWithDevice();
    const attacker = randomAddress();
    for (let i = 0; i < 3; i++) {
      await expect(authFrom(t, attacker).login({ email: user.email, password: WRONG_PASSWORD, device: { deviceId: newDeviceId() } })).rejects.toMatchObject({
        code: Code.Unauthenticated,
      });
    }
    await refusedWith(authFrom(t, attacker).login({ email: user.email, password: user.password, device: { deviceId: newDeviceId() } }), "login_locked_account_address");
  });

  it("stops a distributed attack at the account's ceiling, while known devices still sign in", async () => {
    const { user, device, home } = await ownerWithDevice();
    // 7 failures in all from three addresses, none past its own budget of 3.
    await failTimes(t, randomAddress(), user.email, 3);
    await failTimes(t, randomAddress(), user.email, 3);
    await failTimes(t, randomAddress(), user.email, 1);
    await refusedWith(authFrom(t, randomAddress()).login({ email: user.email, password: user.password }), "login_locked_account");
    await signIn(t, home, { email: user.email, password: user.password, device });
  });

  it("counts an IPv6 client's addresses in one /64 together", async () => {
    const user = await registerUser(t);
    const prefix = `2001:db8:${randomBytes(2).toString("hex")}:1`;
    for (let i = 1; i <= 3; i++) {
      await expect(authFrom(t, `${prefix}::${i}`).login({ email: user.email, password: WRONG_PASSWORD })).rejects.toMatchObject({ code: Code.Unauthenticated });
    }
    await refusedWith(authFrom(t, `${prefix}::99`).login({ email: user.email, password: user.password }), "login_locked_account_address");
  });

  it("gives a known device a budget of its own, which its failures can exhaust", async () => {
    const { user, device } = await ownerWithDevice();
    const cafe = randomAddress();
    await failTimes(t, cafe, user.email, 3, device);
    await refusedWith(authFrom(t, randomAddress()).login({ email: user.email, password: user.password, device }), "login_locked_account_device");
    // Its failures were not the address's: the same address without the device still has its budget.
    await signIn(t, cafe, { email: user.email, password: user.password });
  });

  it("gives a success's counts back and forgets its budget's failures", async () => {
    const { user, device } = await ownerWithDevice();
    const address = randomAddress();
    // Without the counts given back, these would run past the address's budget of 3 and the account's 7.
    for (let i = 0; i < 3; i++) {
      await failTimes(t, address, user.email, 2);
      await signIn(t, address, { email: user.email, password: user.password });
    }
    for (let i = 0; i < 2; i++) {
      await failTimes(t, address, user.email, 2, device);
      await signIn(t, address, { email: user.email, password: user.password, device });
    }
  });

  it("audits a lockout once and counts it in auth_lockouts_total", async () => {
    const user = await registerUser(t);
    const attacker = randomAddress();
    const before = await metric(t, 'auth_lockouts_total{scope="account_address"}');
    await failTimes(t, attacker, user.email, 3);
    for (let i = 0; i < 3; i++) await refusedWith(authFrom(t, attacker).login({ email: user.email, password: user.password }), "login_locked_account_address");
    const lockouts = () => t.db.selectFrom("audit_trail").selectAll().where("action", "=", "auth.lockout").where("resource_id", "=", user.userId).execute();
    await eventually(async () => ((await lockouts()).length > 0 ? true : undefined));
    // Give rows for the later refusals, were any written, time to land too.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const rows = await lockouts();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ resource_type: "user", ip_address: attacker, new_values: { scope: "account_address" } });
    expect(await metric(t, 'auth_lockouts_total{scope="account_address"}')).toBe(before + 1);
  });

  it("counts failed sign-ins in auth_login_failures_total", async () => {
    const user = await registerUser(t);
    const before = await metric(t, 'auth_login_failures_total{reason="wrong_password"}');
    await failTimes(t, randomAddress(), user.email, 2);
    expect(await metric(t, 'auth_login_failures_total{reason="wrong_password"}')).toBe(before + 2);
  });

  it("logs a failed sign-in with the client address, request id and reason, never the password or e-mail", async () => {
    const user = await registerUser(t);
    const address = randomAddress();
    const requestId = `trace-${randomBytes(4).toString("hex")}`;
    await expect(authFrom(t, address, { "x-request-id": requestId }).login({ email: user.email, password: WRONG_PASSWORD })).rejects.toMatchObject({
      code: Code.Unauthenticated,
    });
    const unknownEmail = uniqueEmail("nobody");
    const unknownId = `${requestId}-unknown`;
    await expect(authFrom(t, address, { "x-request-id": unknownId }).login({ email: unknownEmail, password: WRONG_PASSWORD })).rejects.toMatchObject({
      code: Code.Unauthenticated,
    });
    const failed = lines.filter((line) => line.msg === "sign-in failed");
    expect(failed.find((line) => line.requestId === requestId)).toMatchObject({ level: "warn", ipAddress: address, reason: "wrong_password", userId: user.userId });
    const unknown = failed.find((line) => line.requestId === unknownId);
    expect(unknown).toMatchObject({ level: "warn", ipAddress: address, reason: "unknown_account", emailHash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(unknown).not.toHaveProperty("userId");
    const everything = JSON.stringify(lines);
    for (const secret of [WRONG_PASSWORD, user.email, unknownEmail]) expect(everything).not.toContain(secret);
  });

  it("logs a lockout with its scope, the client address and request id", async () => {
    const user = await registerUser(t);
    const attacker = randomAddress();
    await failTimes(t, attacker, user.email, 3);
    const requestId = `lock-${randomBytes(4).toString("hex")}`;
    await refusedWith(authFrom(t, attacker, { "x-request-id": requestId }).login({ email: user.email, password: WRONG_PASSWORD }), "login_locked_account_address");
    expect(lines.find((line) => line.msg === "sign-in locked out" && line.requestId === requestId)).toMatchObject({
      level: "warn",
      scope: "account_address",
      ipAddress: attacker,
      userId: user.userId,
    });
  });
});

describeWithServices("Login slowdown", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        TRUSTED_PROXY_HOPS: "1",
        LOGIN_FAILURES_PER_ACCOUNT_ADDRESS: "3",
        LOGIN_SLOWDOWN_AFTER: "1",
        LOGIN_SLOWDOWN_BASE_MS: "1000",
        LOGIN_FAILURES_PER_IP: HIGH,
        REGISTRATIONS_PER_IP_PER_HOUR: HIGH,
        // One hash at a time: a wait that held the hash slot would hold up everyone else's sign-in.
        PASSWORD_HASH_CONCURRENCY: "1",
      },
    });
  });
  afterAll(() => t?.close());

  /** timed answers how long a wrong-password attempt took, expecting UNAUTHENTICATED. */
  async function timedFailure(address: string, email: string): Promise<number> {
    const started = performance.now();
    await expect(authFrom(t, address).login({ email, password: WRONG_PASSWORD })).rejects.toMatchObject({ code: Code.Unauthenticated });
    return performance.now() - started;
  }

  it("slows an address down after its first failure on an account, then refuses it", async () => {
    const user = await registerUser(t);
    const attacker = randomAddress();
    await timedFailure(attacker, user.email);
    // Timers may fire a millisecond early against performance.now: allow for it.
    expect(await timedFailure(attacker, user.email)).toBeGreaterThanOrEqual(990);
    expect(await timedFailure(attacker, user.email)).toBeGreaterThanOrEqual(1_990);
    await refusedWith(authFrom(t, attacker).login({ email: user.email, password: user.password }), "login_locked_account_address");
  });

  it("holds no password-hash slot while an attempt waits", async () => {
    const [victim, bystander] = [await registerUser(t), await registerUser(t)];
    const attacker = randomAddress();
    await timedFailure(attacker, victim.email);
    await timedFailure(attacker, victim.email);
    // The third attempt waits 2 s before its hash; meanwhile another user signs in with the one hash slot.
    let attackerSettled = false;
    const slowed = authFrom(t, attacker)
      .login({ email: victim.email, password: WRONG_PASSWORD })
      .catch(() => undefined)
      .finally(() => (attackerSettled = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await signIn(t, randomAddress(), { email: bystander.email, password: bystander.password });
    expect(attackerSettled).toBe(false);
    await slowed;
  });
});
