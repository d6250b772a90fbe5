import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code } from "@connectrpc/connect";
import { MfaType } from "../../gen/platform/user/v1/common_pb.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { authClient, registerUser, type RegisteredUser } from "../support/factories.js";
import { ManualClock, midStep } from "../support/clock.js";
import { failure } from "../support/failure.js";
import { enrolTotp, mfaClient, startChallenge, totpCode } from "../support/mfa.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

/** challengeOn starts a sign-in on app t and returns its challenge id. */
const challengeOn = async (t: TestApp, user: RegisteredUser) => (await startChallenge(t, user)).challengeId;

/** wrongCode is a six-digit code that is not the right one for any step near now. */
async function wrongCode(secret: string): Promise<string> {
  const near = await Promise.all([-30_000, 0, 30_000].map((offset) => totpCode(secret, new Date(Date.now() + offset))));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, "0");
    if (!near.includes(code)) return code;
  }
}

/** mfaFailures reads mfa_failures_total{method} from the service's /metrics. */
async function mfaFailures(t: TestApp, method: string): Promise<number> {
  const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`mfa_failures_total{method="${method}"}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describeWithServices("second-factor limits", () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { REGISTRATIONS_PER_IP_PER_HOUR: "100000", MFA_FAILURES_PER_USER: "7" };
    a = await startTestApp({ env });
    b = await startTestApp({ env, replicaOf: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it("ends a challenge after five wrong codes, then locks the user's codes out when their budget is spent", async () => {
    const user = await registerUser(a);
    const { secret } = await enrolTotp(a, user);
    const before = await mfaFailures(a, "totp");
    const wrong = await wrongCode(secret);
    const answer = (challengeId: string, code = wrong) => failure(authClient(a).completeMfaChallenge({ challengeId, code, mfaType: MfaType.TOTP }));

    const first = await challengeOn(a, user);
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await answer(first));
    expect(outcomes.map((e) => [e.code, e.metadata.get("x-error-reason")])).toEqual([
      ...Array(4).fill([Code.Unauthenticated, "invalid_mfa_code"]),
      [Code.ResourceExhausted, "mfa_challenge_attempts"],
    ]);
    // The ended challenge no longer takes answers, not even the right one.
    expect((await answer(first, await totpCode(secret, new Date(Date.now() + 30_000)))).metadata.get("x-error-reason")).toBe("mfa_challenge_invalid");

    const second = await challengeOn(a, user);
    expect((await answer(second)).code).toBe(Code.Unauthenticated);
    expect((await answer(second)).code).toBe(Code.Unauthenticated);
    // Seven wrong codes spent the budget: every code is refused for the window, the right one too.
    const locked = await answer(second, await totpCode(secret, new Date(Date.now() + 30_000)));
    expect([locked.code, locked.metadata.get("x-error-reason")]).toEqual([Code.ResourceExhausted, "mfa_locked"]);
    expect(Number(locked.metadata.get("retry-after"))).toBeGreaterThan(0);

    expect((await mfaFailures(a, "totp")) - before).toBe(7);
    const audited = await a.db.selectFrom("audit_trail").select("new_values").where("action", "=", "auth.mfa_failed").where("actor_user_id", "=", user.userId).execute();
    expect(audited).toHaveLength(7);
    expect(JSON.stringify(audited)).not.toContain(wrong);
  });

  it("judges a user's codes one at a time: of ten wrong codes sent at once to two replicas, the budget's seven are judged", async () => {
    const user = await registerUser(a);
    const { secret } = await enrolTotp(a, user);
    const wrong = await wrongCode(secret);
    const on = (i: number) => (i % 2 ? b : a);
    const challenges = await Promise.all(Array.from({ length: 10 }, (_, i) => challengeOn(on(i), user)));
    const outcomes = await Promise.all(
      challenges.map((challengeId, i) => failure(authClient(on(i)).completeMfaChallenge({ challengeId, code: wrong, mfaType: MfaType.TOTP }))),
    );
    expect(outcomes.map((e) => e.metadata.get("x-error-reason")).sort()).toEqual([...Array(7).fill("invalid_mfa_code"), ...Array(3).fill("mfa_locked")]);
    const budget = await a.db.selectFrom("mfa_code_budgets").select("failures").where("user_id", "=", user.userId).executeTakeFirstOrThrow();
    expect(budget.failures).toBe(7);
  });

  it("counts wrong VerifyMfa codes in the same budget as sign-in codes", async () => {
    const user = await registerUser(a);
    const mfa = mfaClient(a, user.accessToken);
    const setup = await mfa.setupMfa({ mfaType: MfaType.TOTP });
    const wrong = await wrongCode(setup.secret);
    for (let i = 0; i < 7; i++) expect((await mfa.verifyMfa({ mfaType: MfaType.TOTP, code: wrong })).verified).toBe(false);
    const locked = await failure(mfa.verifyMfa({ mfaType: MfaType.TOTP, code: await totpCode(setup.secret) }));
    expect([locked.code, locked.metadata.get("x-error-reason")]).toEqual([Code.ResourceExhausted, "mfa_locked"]);
  });

  it("accepts one TOTP code once, even sent to two replicas at the same moment", async () => {
    const user = await registerUser(a);
    const { secret } = await enrolTotp(a, user);
    const [onA, onB] = await Promise.all([challengeOn(a, user), challengeOn(b, user)]);
    const code = await totpCode(secret, new Date(Date.now() + 30_000));
    const results = await Promise.allSettled([
      authClient(a).completeMfaChallenge({ challengeId: onA, code, mfaType: MfaType.TOTP }),
      authClient(b).completeMfaChallenge({ challengeId: onB, code, mfaType: MfaType.TOTP }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toMatchObject({ code: Code.Unauthenticated });
  });

  it("spends a backup code once when two sign-ins use it at the same moment", async () => {
    const user = await registerUser(a);
    const { backupCodes } = await enrolTotp(a, user);
    const challenges = await Promise.all([challengeOn(a, user), challengeOn(b, user), challengeOn(a, user), challengeOn(b, user)]);
    const results = await Promise.allSettled(
      challenges.map((challengeId, i) => authClient(i % 2 ? b : a).completeMfaChallenge({ challengeId, code: backupCodes[0]!, mfaType: MfaType.BACKUP_CODE })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const unused = await a.db.selectFrom("mfa_backup_codes").select("id").where("user_id", "=", user.userId).where("used_at", "is", null).execute();
    expect(unused).toHaveLength(9);
  });
});

describe("second-factor budget without Redis", () => {
  const clock = new ManualClock(midStep());
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ embedded: true, clock, env: { MFA_FAILURES_PER_USER: "2", MFA_FAILURE_WINDOW_SECONDS: "60" } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("locks a user's codes out until the window of their first wrong code ends, then counts from zero", async () => {
    const user = await registerUser(t);
    const { secret } = await enrolTotp(t, user, clock.now());
    const wrong = await wrongCode(secret);
    const challengeId = await challengeOn(t, user);
    const answer = async (code: string) => failure(authClient(t).completeMfaChallenge({ challengeId, code, mfaType: MfaType.TOTP }));

    expect((await answer(wrong)).metadata.get("x-error-reason")).toBe("invalid_mfa_code");
    clock.advance(20_000);
    expect((await answer(wrong)).metadata.get("x-error-reason")).toBe("invalid_mfa_code");
    const locked = await answer(await totpCode(secret, clock.now()));
    expect([locked.code, locked.metadata.get("x-error-reason"), locked.metadata.get("retry-after")]).toEqual([Code.ResourceExhausted, "mfa_locked", "40"]);

    clock.advance(40_000);
    const opened = await authClient(t).completeMfaChallenge({ challengeId, code: await totpCode(secret, clock.now()), mfaType: MfaType.TOTP });
    expect(opened.tokens?.accessToken).toBeTruthy();
  });
});
