import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "../../gen/platform/user/v1/auth_service_pb.js";
import { SessionService } from "../../gen/platform/user/v1/session_service_pb.js";
import { kilometresBetween } from "../../src/features/sessions/index.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { ManualClock } from "../support/clock.js";
import { GOOD_PASSWORD, uniqueEmail } from "../support/factories.js";
import { failure } from "../support/failure.js";
import { enrolTotp } from "../support/mfa.js";
import { referenceDataFile } from "../support/reference-data.js";
import { servicesAvailable } from "../support/services.js";

const LONDON = "81.2.69.160";
const TOKYO = "2001:218::1";
const MILTON_WA = "216.160.83.56";
const BOXFORD = "2.125.160.216"; // 70 km from London
const DAY = 24 * 3600 * 1000;

describe("kilometresBetween", () => {
  it("measures great-circle distances", () => {
    expect(Math.round(kilometresBetween({ latitude: 51.5142, longitude: -0.0931 }, { latitude: 35.68536, longitude: 139.75309 }))).toBeGreaterThan(9_500);
    expect(kilometresBetween({ latitude: 1, longitude: 1 }, { latitude: 1, longitude: 1 })).toBe(0);
  });
});

const cityDatabase = referenceDataFile("geoip/GeoIP2-City-Test.mmdb");
const describeWithGeoIp = (await servicesAvailable()) && cityDatabase ? describe : describe.skip;

describeWithGeoIp("adaptive sign-in", () => {
  const clock = new ManualClock();
  let t: TestApp;
  let networksDir: string;
  beforeAll(async () => {
    networksDir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-networks-"));
    const networks = path.join(networksDir, "risky.txt");
    await fs.writeFile(networks, "# anonymising proxies\n216.160.83.0/24\n2.125.160.216\n");
    t = await startTestApp({
      clock,
      env: { GEOIP_DB_FILE: cityDatabase!, RISKY_NETWORKS_FILE: networks, TRUSTED_PROXY_HOPS: "1", REGISTRATIONS_PER_IP_PER_HOUR: "100000", MFA_STEP_UP_RISK: "40" },
    });
  });
  beforeEach(() => clock.set(new Date()));
  afterAll(async () => {
    await t?.close();
    await fs.rm(networksDir, { recursive: true, force: true });
  });

  /** from is an AuthService client whose calls come from the address (the one proxy hop says so). */
  const from = (address: string): Client<typeof AuthService> =>
    createClient(
      AuthService,
      createConnectTransport({ baseUrl: t.baseUrl, httpVersion: "2", interceptors: [(next) => (req) => (req.header.set("x-forwarded-for", address), next(req))] }),
    );

  /** signedUpIn registers a user from the address with a device, and ages the account. */
  async function signedUpIn(address: string, deviceId: string) {
    const email = uniqueEmail("risk");
    const registered = await from(address).register({ email, password: GOOD_PASSWORD, fullName: "Risk Tester", device: { deviceId } });
    return { email, userId: registered.userId, sessionId: registered.sessionId, accessToken: registered.accessToken, refreshToken: registered.refreshToken, password: GOOD_PASSWORD };
  }
  const factorsOf = async (accessToken: string, sessionId: string) => {
    const { sessions } = await createClient(SessionService, t.transport({ token: accessToken })).listSessions({});
    const session = sessions.find((s) => s.sessionId === sessionId)!;
    return { score: session.riskScore, factors: session.riskFactors };
  };

  it("scores a sign-in from a new country on a new device, and stores the score and factors with the session", async () => {
    const user = await signedUpIn(LONDON, "laptop-1");
    clock.advance(2 * DAY);
    const res = await from(TOKYO).login({ email: user.email, password: user.password, device: { deviceId: "phone-1" } });
    if (res.result.case !== "tokens") throw new Error("expected tokens");
    expect(await factorsOf(res.result.value.accessToken, res.result.value.sessionId)).toEqual({ score: 45, factors: ["new_device", "new_country"] });
  });

  it("refuses a sign-in that could only have come by faster-than-airliner travel, and audits it", async () => {
    const user = await signedUpIn(LONDON, "laptop-2");
    clock.advance(2 * DAY);
    await from(LONDON).login({ email: user.email, password: user.password, device: { deviceId: "laptop-2" } });
    clock.advance(10 * 60_000); // Tokyo ten minutes after London
    const before = await metric("suspicious_sign_ins_total");
    const refused = await failure(from(TOKYO).login({ email: user.email, password: user.password, device: { deviceId: "phone-2" } }));
    expect([refused.code, refused.metadata.get("x-error-reason")]).toEqual([Code.FailedPrecondition, "sign_in_risk"]);
    expect((await metric("suspicious_sign_ins_total")) - before).toBe(1);
    const audit = await t.db.selectFrom("audit_trail").select("new_values").where("action", "=", "auth.sign_in_blocked").where("resource_id", "=", user.userId).execute();
    expect(audit).toEqual([{ new_values: { riskScore: 90, factors: ["new_device", "new_country", "impossible_travel"], deviceId: "phone-2" } }]);
  });

  it("counts failed attempts before the sign-in and addresses on RISKY_NETWORKS_FILE", async () => {
    const user = await signedUpIn(MILTON_WA, "laptop-3");
    clock.advance(2 * DAY);
    for (let i = 0; i < 2; i++) await failure(from(MILTON_WA).login({ email: user.email, password: "not-the-password-1234", device: { deviceId: "laptop-3" } }));
    const res = await from(MILTON_WA).login({ email: user.email, password: user.password, device: { deviceId: "laptop-3" } });
    if (res.result.case !== "tokens") throw new Error("expected tokens");
    expect(await factorsOf(res.result.value.accessToken, res.result.value.sessionId)).toEqual({ score: 50, factors: ["recent_failure", "risky_network"] });
  });

  it("asks a trusted device for the second factor when the sign-in scores MFA_STEP_UP_RISK or more", async () => {
    const user = await signedUpIn(LONDON, "tablet-1");
    await enrolTotp(t, user, clock.now());
    await createClient(SessionService, t.transport({ token: user.accessToken })).trustDevice({ sessionId: user.sessionId, trusted: true });
    clock.advance(2 * DAY);
    expect((await from(LONDON).login({ email: user.email, password: user.password, device: { deviceId: "tablet-1" } })).result.case).toBe("tokens");
    // The same trusted tablet, from a risky network nearby: 40 points, the step-up threshold here.
    expect((await from(BOXFORD).login({ email: user.email, password: user.password, device: { deviceId: "tablet-1" } })).result.case).toBe("mfaChallenge");
  });

  async function metric(name: string): Promise<number> {
    const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(" ")[1]) : 0;
  }
});
