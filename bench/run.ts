// npm run bench: drives the real server (child process, local Postgres + Redis) over HTTP/2 at a
// fixed concurrency for a fixed time, measures the two limits in the same run, prints a table
// and writes bench/results.json. BENCH_SECONDS and BENCH_CONCURRENCY change the load,
// BENCH_POSTGRES_URL and BENCH_REDIS_URL where the servers are. The service runs on a database and
// under a Redis key prefix of the run's own, both removed at the end, so a server started later on
// the same Redis finds none of the bench's counters.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { ActivityService } from "../gen/platform/user/v1/activity_service_pb.js";
import { AuditService } from "../gen/platform/user/v1/audit_service_pb.js";
import { AuthService } from "../gen/platform/user/v1/auth_service_pb.js";
import { ActivityType, MfaType, OrgRole } from "../gen/platform/user/v1/common_pb.js";
import { MfaService } from "../gen/platform/user/v1/mfa_service_pb.js";
import { OrganizationService, OrganizationType, SubscriptionTier } from "../gen/platform/user/v1/organization_service_pb.js";
import { ProfileService } from "../gen/platform/user/v1/profile_service_pb.js";
import { SessionService } from "../gen/platform/user/v1/session_service_pb.js";
import { generate } from "otplib";
import { loadConfig } from "../src/config.js";
import { PasswordHasher } from "../src/platform/crypto/passwords.js";
import { drive, driveAlternately, type Caller, type RpcFigures } from "./load.js";
import { RawConnectClient } from "./raw-client.js";
import { measureAuditWrites } from "./audit.js";
import { measureBatches } from "./batch.js";
import { seedLargeTables } from "./large-tables.js";
import { measureVerifications } from "./jobs.js";
import { benchSanctionsList, measureScreening } from "./screening.js";
import { deploy, grantRole, root, startProcess, stopProcess } from "./services.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const PASSWORD = "violet-harbor-lantern-91";

const clientFor = (port: number) => new RawConnectClient(`http://127.0.0.1:${port}`);

/** benchService measures the service's RPCs; argon2PerSecond (the argon2 limit) bounds the sign-ins it prepares users for. */
async function benchService(argon2PerSecond: number): Promise<Record<string, RpcFigures>> {
  const deployment = await deploy();
  const { child, port } = await startProcess(["bin/user-service.js", "serve", "--migrate"], deployment.env, path.join(os.tmpdir(), "user-service-bench-server.log")).catch(
    async (error: unknown) => {
      await deployment.close();
      throw error;
    },
  );
  try {
    const client = clientFor(port);
    const rpcs: Record<string, RpcFigures> = {};
    const registered: Array<{ email: string; accessToken: string }> = [];
    let serial = 0;

    rpcs.Register = await drive(CONCURRENCY, SECONDS, () => async () => {
      const email = `bench.${serial++}@example.com`;
      const { accessToken } = await client.call(AuthService.method.register, { email, password: PASSWORD, fullName: "Bench User" });
      registered.push({ email, accessToken });
    });

    const signInWith = async (on: RawConnectClient, email: string) => {
      const res = await on.call(AuthService.method.login, { email, password: PASSWORD });
      if (res.result.case !== "tokens") throw new Error("expected tokens");
      return res.result.value;
    };
    const loginAs = (email: string) => signInWith(client, email);
    const login: Caller = (worker) => {
      // Each caller takes every CONCURRENCY-th user, so sign-ins spread evenly over the users.
      let next = worker;
      return () => {
        const { email } = registered[next % registered.length]!;
        next += CONCURRENCY;
        return loginAs(email);
      };
    };
    // Sign-in with TOTP, Login + CompleteMfaChallenge counted as one. A code works once per user and
    // time step, so each user signs in at most twice: with this step's code, then the next one's.
    // Neither sign-in can outrun argon2, which bounds the users needed.
    const signInsNeeded = Math.ceil(argon2PerSecond * (SECONDS + ROUNDS) * 1.25);
    const enrolled = await totpCodesAhead(await totpUsers(client, Math.ceil(signInsNeeded / 2)));
    const uses = Array.from({ length: enrolled.length * 2 }, (_, i) => ({ user: enrolled[i % enrolled.length]!, stepsAhead: i < enrolled.length ? 0 : 1 }));
    let nextUse = 0;
    const loginWithTotp: Caller = () => async () => {
      const use = uses[nextUse++];
      if (!use) throw new Error("every enrolled user has signed in with TOTP twice: enrol more users");
      const res = await client.call(AuthService.method.login, { email: use.user.email, password: PASSWORD });
      if (res.result.case !== "mfaChallenge") throw new Error("expected an MFA challenge");
      const code = use.user.codeAt(Date.now(), use.stepsAhead);
      await client.call(AuthService.method.completeMfaChallenge, { challengeId: res.result.value.challengeId, code, mfaType: MfaType.TOTP });
    };
    // The two compared sign-ins run in alternating stretches.
    const [plainSignIns, totpSignIns] = await driveAlternately(CONCURRENCY, SECONDS, ROUNDS, login, loginWithTotp);
    rpcs.Login = plainSignIns;

    // One signed-in user per caller, as many clients each reading their own profile; beside them as
    // many members of three organizations each, whose profiles list those memberships. The two are
    // compared, so they run in alternating stretches.
    const signIn = (offset: number) => Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => loginAs(registered[(offset + i) % registered.length]!.email)));
    const sessions = await signIn(0);
    const memberSessions = await signIn(CONCURRENCY);
    for (const [i, session] of memberSessions.entries()) {
      for (const n of [1, 2, 3]) await createOrganization(client, session.accessToken, `bench-member-${i}-${n}`);
    }
    const readsOwnProfile = (of: typeof sessions): Caller => (worker) => {
      const headers = { authorization: `Bearer ${of[worker]!.accessToken}` };
      return () => client.call(ProfileService.method.getProfile, {}, headers);
    };
    [rpcs.GetProfile, rpcs.GetProfileMember] = await driveAlternately(CONCURRENCY, SECONDS, ROUNDS, readsOwnProfile(sessions), readsOwnProfile(memberSessions));

    // GetProfile by its REST path against the Connect JSON call, in alternating stretches: what
    // transcoding costs. Both answer JSON, which the driver parses alike.
    const readsProfileBy = (path: "rest" | "connect"): Caller => (worker) => {
      const authorization = `Bearer ${sessions[worker]!.accessToken}`;
      return path === "rest"
        ? () => client.fetchJson("GET", "/user/profile", { authorization })
        : () => client.fetchJson("POST", "/platform.user.v1.ProfileService/GetProfile", { authorization, "content-type": "application/json" }, "{}");
    };
    [rpcs.GetProfileRest, rpcs.GetProfileConnectJson] = await driveAlternately(CONCURRENCY, SECONDS, ROUNDS, readsProfileBy("rest"), readsProfileBy("connect"));

    // The same calls on a second server of the same deployment that records no activity, in
    // alternating stretches: what recording every call costs GetProfile.
    const unrecorded = await startProcess(["bin/user-service.js", "serve"], { ...deployment.env, ACTIVITY_RECORDING: "off" }, path.join(os.tmpdir(), "user-service-bench-server-unrecorded.log"));
    try {
      const unrecordedClient = clientFor(unrecorded.port);
      const readsOn = (on: RawConnectClient): Caller => (worker) => {
        const headers = { authorization: `Bearer ${sessions[worker]!.accessToken}` };
        return () => on.call(ProfileService.method.getProfile, {}, headers);
      };
      [rpcs.GetProfileActivityOn, rpcs.GetProfileActivityOff] = await driveAlternately(CONCURRENCY, SECONDS, ROUNDS, readsOn(client), readsOn(unrecordedClient));
      unrecordedClient.close();
    } finally {
      await stopProcess(unrecorded.child);
    }

    rpcs.RefreshToken = await drive(CONCURRENCY, SECONDS, (worker) => {
      let refreshToken = sessions[worker]!.refreshToken;
      return async () => {
        const res = await client.call(AuthService.method.refreshToken, { refreshToken });
        refreshToken = res.tokens!.refreshToken;
      };
    });
    rpcs.LoginWithTotp = totpSignIns;

    // An organization of ORGANIZATION_SIZE members, listed a page of 100 at a time by its admin,
    // each caller walking the pages from the first to the last and over again.
    const organizationId = await organizationWithMembers(client, sessions[0]!.accessToken, [...registered.slice(1), ...enrolled], ORGANIZATION_SIZE);
    rpcs.ListMembers = await drive(CONCURRENCY, SECONDS, () => {
      const headers = { authorization: `Bearer ${sessions[0]!.accessToken}` };
      let pageToken = "";
      return async () => {
        const page = await client.call(OrganizationService.method.listMembers, { organizationId, limit: 100, pageToken }, headers);
        pageToken = page.nextPageToken;
      };
    });

    // The listed users hold the sessions a user typically has: sign-up, a sign-in or two.
    rpcs.ListSessions = await drive(CONCURRENCY, SECONDS, (worker) => {
      const headers = { authorization: `Bearer ${sessions[worker]!.accessToken}` };
      return () => client.call(SessionService.method.listSessions, {}, headers);
    });

    // The audit trail and the activity of LARGE_TABLE_ROWS rows each, listed a page of 50 at a time:
    // the newest entries about users, and one user's own newest calls of a type.
    const reader = registered[0]!;
    await grantRole(deployment.env, reader.email, "compliance_officer");
    await seedLargeTables(deployment.databaseUrl, sessions[0]!.userId);
    // Seeding takes longer than the server keeps an idle connection: a new one for what follows.
    client.close();
    const lists = clientFor(port);
    const readerHeaders = { authorization: `Bearer ${(await signInWith(lists, reader.email)).accessToken}` };
    rpcs.ListAuditTrail = await drive(CONCURRENCY, SECONDS, () => () => lists.call(AuditService.method.listAuditTrail, { resourceType: "user", limit: 50 }, readerHeaders));
    const ownHeaders = { authorization: `Bearer ${sessions[0]!.accessToken}` };
    rpcs.ListActivity = await drive(CONCURRENCY, SECONDS, () => () => lists.call(ActivityService.method.listActivity, { activityType: ActivityType.API_CALL, limit: 50 }, ownHeaders));
    lists.close();
    client.close();
    return rpcs;
  } finally {
    await stopProcess(child);
    await deployment.close();
  }
}

/** ROUNDS is how many alternating stretches Login and LoginWithTotp are measured in. */
const ROUNDS = 2;

/** TOTP_STEP_SECONDS is the TOTP time step; a code computed with less than STEP_MARGIN_SECONDS of its step left waits for the next step. */
const TOTP_STEP_SECONDS = 30;
const STEP_MARGIN_SECONDS = 5;

/** stepWithMargin waits, if need be, until the current TOTP step has STEP_MARGIN_SECONDS left, so a code computed now is still of its step when the server checks it. */
async function stepWithMargin(): Promise<void> {
  const left = TOTP_STEP_SECONDS - ((Date.now() / 1000) % TOTP_STEP_SECONDS);
  if (left < STEP_MARGIN_SECONDS) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 50));
}

/**
 * totpCodesAhead computes each user's codes, before the measurement, for every time step the
 * compared sign-ins can reach, and the next one: the load driver's own hashing would take from the
 * server's share of the CPU what an authenticator app spends on the user's phone.
 */
async function totpCodesAhead<U extends { secret: string }>(users: U[]): Promise<Array<U & { codeAt(ms: number, stepsAhead: number): string }>> {
  const stepAt = (ms: number) => Math.floor(ms / 1000 / TOTP_STEP_SECONDS);
  const first = stepAt(Date.now());
  // Both sign-ins run, each stretch after a second of warm-up; a step boundary on either side adds one.
  const steps = Math.ceil((2 * (SECONDS + ROUNDS)) / TOTP_STEP_SECONDS) + 3;
  return Promise.all(
    users.map(async (user) => {
      const codes = await Promise.all(Array.from({ length: steps }, (_, i) => generate({ secret: user.secret, epoch: (first + i) * TOTP_STEP_SECONDS })));
      const codeAt = (ms: number, stepsAhead: number) => {
        const code = codes[stepAt(ms) - first + stepsAhead];
        if (!code) throw new Error("the sign-ins outlasted the TOTP codes computed for them");
        return code;
      };
      return { ...user, codeAt };
    }),
  );
}

/**
 * totpUsers registers count users outside any measurement, CONCURRENCY at a time, and enrols each in
 * TOTP through their sign-up session (young enough for step-up): SetupMfa, then VerifyMfa with the
 * previous step's code, so sign-ins may use this step's code and the next one's.
 */
async function totpUsers(client: RawConnectClient, count: number): Promise<Array<{ email: string; secret: string; accessToken: string }>> {
  const enrol = async (serial: number) => {
    const email = `bench.totp.${serial}@example.com`;
    const { accessToken } = await client.call(AuthService.method.register, { email, password: PASSWORD, fullName: "Bench User" });
    const headers = { authorization: `Bearer ${accessToken}` };
    const setup = await client.call(MfaService.method.setupMfa, { mfaType: MfaType.TOTP }, headers);
    await stepWithMargin();
    const code = await generate({ secret: setup.secret, epoch: Math.floor(Date.now() / 1000) - TOTP_STEP_SECONDS });
    const { verified } = await client.call(MfaService.method.verifyMfa, { mfaType: MfaType.TOTP, code }, headers);
    if (!verified) throw new Error(`the TOTP enrolment of ${email} was refused`);
    return { email, secret: setup.secret, accessToken };
  };
  const users: Array<{ email: string; secret: string; accessToken: string }> = [];
  for (let first = 0; first < count; first += CONCURRENCY) {
    users.push(...(await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count - first) }, (_, i) => enrol(first + i)))));
  }
  return users;
}

/** ORGANIZATION_SIZE is how many members the organization ListMembers pages through has. */
const ORGANIZATION_SIZE = 1_000;

/** createOrganization creates an organization with the token's user as its admin and returns its id. */
async function createOrganization(client: RawConnectClient, token: string, name: string): Promise<string> {
  const { organization } = await client.call(
    OrganizationService.method.createOrganization,
    { name, displayName: "Bench Trading", organizationType: OrganizationType.TRADING_FIRM, subscriptionTier: SubscriptionTier.ENTERPRISE },
    { authorization: `Bearer ${token}` },
  );
  return organization!.organizationId;
}

/**
 * organizationWithMembers creates an organization of `size` members, outside any measurement: its
 * admin invites the users given, who accept, CONCURRENCY at a time; if they run short, new users
 * sign up with their invitations.
 */
async function organizationWithMembers(client: RawConnectClient, adminToken: string, users: Array<{ email: string; accessToken: string }>, size: number): Promise<string> {
  const organizationId = await createOrganization(client, adminToken, "bench-directory");
  const admin = { authorization: `Bearer ${adminToken}` };
  const join = async (serial: number) => {
    const user = users[serial];
    const email = user?.email ?? `bench.member.${serial}@example.com`;
    const { invitationToken } = await client.call(OrganizationService.method.inviteMember, { organizationId, email, role: OrgRole.TRADER }, admin);
    if (user) await client.call(OrganizationService.method.acceptInvitation, { invitationToken }, { authorization: `Bearer ${user.accessToken}` });
    else await client.call(AuthService.method.register, { email, password: PASSWORD, fullName: "Bench Member", organizationInviteToken: invitationToken });
  };
  for (let first = 0; first < size - 1; first += CONCURRENCY) {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, size - 1 - first) }, (_, i) => join(first + i)));
  }
  return organizationId;
}

/** argon2 verifications per second alone, at the service's parameters and concurrency cap. */
async function argon2Limit(): Promise<number> {
  // The same setting the server reads, so both run at the same cap.
  const { PASSWORD_HASH_CONCURRENCY } = process.env;
  const hasher = new PasswordHasher(loadConfig(PASSWORD_HASH_CONCURRENCY ? { PASSWORD_HASH_CONCURRENCY } : {}).limits.passwordHashConcurrency);
  const stored = await hasher.hash(PASSWORD);
  const figures = await drive(CONCURRENCY, SECONDS, () => () => hasher.verify(stored, PASSWORD));
  return figures.rps;
}

/** A bare connect-node RPC on the same server code and load driver. */
async function echoLimit(): Promise<RpcFigures> {
  const { child, port } = await startProcess(["--import", "tsx", "bench/echo-server.ts"], {}, path.join(os.tmpdir(), "user-service-bench-echo.log"));
  try {
    const client = clientFor(port);
    const figures = await drive(CONCURRENCY, SECONDS, () => () => client.call(Health.method.check, {}));
    client.close();
    return figures;
  } finally {
    await stopProcess(child);
  }
}

const argon2 = await argon2Limit();
const rpcs = await benchService(argon2);
const echo = await echoLimit();
const screening = await measureScreening(benchSanctionsList());
const jobs = await measureVerifications(benchSanctionsList(), CONCURRENCY);
const batch = await measureBatches(benchSanctionsList(), CONCURRENCY);
const audit = await measureAuditWrites(SECONDS);
// echo_p99_ms: the latency floor at this concurrency, to read GetProfile's p99 against.
const limits = { argon2_verify_per_s: argon2, echo_rps: echo.rps, echo_p99_ms: echo.p99_ms };
const ratio = (a: number, b: number) => (b > 0 ? Number((a / b).toFixed(3)) : 0);
const results = {
  concurrency: CONCURRENCY,
  seconds: SECONDS,
  rpcs,
  limits,
  screening,
  jobs,
  batch,
  audit,
  ratios: {
    login_vs_argon2: ratio(rpcs.Login!.rps, limits.argon2_verify_per_s),
    getprofile_vs_echo: ratio(rpcs.GetProfile!.rps, limits.echo_rps),
    login_totp_vs_login: ratio(rpcs.LoginWithTotp!.rps, rpcs.Login!.rps),
    listsessions_vs_getprofile: ratio(rpcs.ListSessions!.rps, rpcs.GetProfile!.rps),
    getprofile_member_vs_getprofile: ratio(rpcs.GetProfileMember!.rps, rpcs.GetProfile!.rps),
    audit_lanes_vs_single_lock: ratio(audit.writes_per_s_lanes, audit.writes_per_s_single_lock),
    getprofile_activity_on_vs_off: ratio(rpcs.GetProfileActivityOn!.rps, rpcs.GetProfileActivityOff!.rps),
    rest_vs_connect_getprofile: ratio(rpcs.GetProfileRest!.rps, rpcs.GetProfileConnectJson!.rps),
  },
};

console.log(`\nconcurrency ${CONCURRENCY}, ${SECONDS} s per measurement\n`);
console.table(Object.fromEntries(Object.entries(rpcs).map(([name, f]) => [name, { rps: f.rps, "p50 ms": f.p50_ms, "p99 ms": f.p99_ms, errors: f.errors }])));
console.table({
  "argon2id verify/s": { value: limits.argon2_verify_per_s },
  "echo rps": { value: limits.echo_rps },
  "echo p99 ms": { value: limits.echo_p99_ms },
});
console.table({
  "Login / argon2 (target >= 0.85)": { ratio: results.ratios.login_vs_argon2 },
  "GetProfile / echo (target >= 0.5)": { ratio: results.ratios.getprofile_vs_echo },
  "LoginWithTotp / Login (target >= 0.9)": { ratio: results.ratios.login_totp_vs_login },
  "ListSessions / GetProfile (target >= 0.5)": { ratio: results.ratios.listsessions_vs_getprofile },
  "GetProfileMember / GetProfile (target >= 0.9)": { ratio: results.ratios.getprofile_member_vs_getprofile },
  [`audited writes, ${audit.lanes} lanes / one lane (target >= 5)`]: { ratio: results.ratios.audit_lanes_vs_single_lock },
  "GetProfile, activity recorded / not (target >= 0.9)": { ratio: results.ratios.getprofile_activity_on_vs_off },
  "GetProfile, REST path / Connect JSON (target >= 0.9)": { ratio: results.ratios.rest_vs_connect_getprofile },
});
console.table({ [`screening against ${screening.list} (${screening.listed_names} names, threshold ${screening.threshold})`]: {
  "ms per name (target < 2)": screening.ms_per_name,
  recall: screening.recall,
  "false positives": screening.false_positive_rate,
} });
console.table({
  "VerifyUsers, 100 users": { ms: batch.users_100_ms, "decided in the call": batch.users_100_decided },
  "VerifyUsers, 1,000 users": { ms: batch.users_1000_ms, "decided in the call": batch.users_1000_decided },
});
console.table({
  [`audited writes/s, one lane (concurrency ${audit.concurrency})`]: {
    "writes/s": audit.writes_per_s_single_lock,
    "p99 ms": audit.p99_ms_single_lock,
    "waiting for a lane's lock": audit.lock_waiters_single_lock,
  },
  [`audited writes/s, ${audit.lanes} lanes (concurrency ${audit.concurrency})`]: {
    "writes/s": audit.writes_per_s_lanes,
    "p99 ms": audit.p99_ms_lanes,
    "waiting for a lane's lock": audit.lock_waiters_lanes,
  },
});
console.table({ [`${jobs.users} registrations verified by one worker process (concurrency ${jobs.worker_concurrency})`]: { "verifications/s": jobs.verifications_per_s } });
await fs.writeFile(path.join(root, "bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
console.log("written to bench/results.json");
