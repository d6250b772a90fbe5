import { sql, type Insertable, type OnConflictBuilder, type Selectable } from "kysely";
import type { Database, DbOrTx, Tx } from "../../db/database.js";
import type { MfaChallengesTable, MfaKindValue, MfaMethodsTable } from "../../db/tables/mfa.js";

/** MfaMethodRow is a stored second-factor method. */
export type MfaMethodRow = Selectable<MfaMethodsTable>;

/** MfaChallengeRow is a stored sign-in challenge. */
export type MfaChallengeRow = Selectable<MfaChallengesTable>;

/** findMethods lists a user's methods, oldest first. */
export function findMethods(db: DbOrTx, userId: string): Promise<MfaMethodRow[]> {
  return db.selectFrom("mfa_methods").selectAll().where("user_id", "=", userId).orderBy("created_at").orderBy("id").execute();
}

/**
 * lockMethodOfKind reads the user's method of a kind and locks its row until trx ends, so two
 * calls about the same method (two VerifyMfa, a verify and a removal) take turns.
 */
export function lockMethodOfKind(trx: Tx, userId: string, kind: MfaKindValue): Promise<MfaMethodRow | undefined> {
  return trx.selectFrom("mfa_methods").selectAll().where("user_id", "=", userId).where("kind", "=", kind).forUpdate().executeTakeFirst();
}

/** insertMethod stores a new pending method. The unique (user, kind) constraint refuses a second one. */
export async function insertMethod(trx: Tx, method: Insertable<MfaMethodsTable>): Promise<MfaMethodRow> {
  return trx.insertInto("mfa_methods").values(method).returningAll().executeTakeFirstOrThrow();
}

/** deletePendingMethod removes the user's pending method of a kind, if any, so a new set-up replaces it. */
export async function deletePendingMethod(trx: Tx, userId: string, kind: MfaKindValue): Promise<void> {
  await trx.deleteFrom("mfa_methods").where("user_id", "=", userId).where("kind", "=", kind).where("status", "=", "pending").execute();
}

/** activateMethod makes a pending method active, remembering the TOTP step its first code used. */
export async function activateMethod(trx: Tx, methodId: string, now: Date, acceptedStep: number | undefined): Promise<void> {
  await trx
    .updateTable("mfa_methods")
    .set({ status: "active", activated_at: now, ...(acceptedStep !== undefined && { last_accepted_step: acceptedStep }) })
    .where("id", "=", methodId)
    .execute();
}

/**
 * claimTotpStep records that a TOTP code of step was accepted for the method. It succeeds only if
 * no code of that step or a later one was accepted before: the comparison is in the same statement
 * as the write, so of replicas given the same code at once exactly one claims it, with or without
 * the method's row lock.
 */
export async function claimTotpStep(db: DbOrTx, methodId: string, step: number, now: Date): Promise<boolean> {
  const claimed = await db
    .updateTable("mfa_methods")
    .set({ last_accepted_step: step, last_used_at: now })
    .where("id", "=", methodId)
    .where("status", "=", "active")
    .where((eb) => eb.or([eb("last_accepted_step", "is", null), eb("last_accepted_step", "<", String(step))]))
    .executeTakeFirst();
  return claimed.numUpdatedRows === 1n;
}

/** deleteMethod removes one of the user's methods and returns it; undefined when the user has no such method. */
export function deleteMethod(trx: Tx, userId: string, methodId: string): Promise<MfaMethodRow | undefined> {
  return trx.deleteFrom("mfa_methods").where("user_id", "=", userId).where("id", "=", methodId).returningAll().executeTakeFirst();
}

/** countActiveMethods counts the user's active TOTP and SMS methods. */
export async function countActiveMethods(db: DbOrTx, userId: string): Promise<number> {
  const { count } = await db
    .selectFrom("mfa_methods")
    .select((eb) => eb.fn.countAll<string>().as("count"))
    .where("user_id", "=", userId)
    .where("status", "=", "active")
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** replaceBackupCodes voids the user's backup codes and stores the hashes of a new set. */
export async function replaceBackupCodes(trx: Tx, userId: string, hashes: Buffer[]): Promise<void> {
  await deleteBackupCodes(trx, userId);
  await trx
    .insertInto("mfa_backup_codes")
    .values(hashes.map((code_hash) => ({ user_id: userId, code_hash })))
    .execute();
}

/** deleteBackupCodes removes every backup code of the user. */
export async function deleteBackupCodes(trx: Tx, userId: string): Promise<void> {
  await trx.deleteFrom("mfa_backup_codes").where("user_id", "=", userId).execute();
}

/**
 * spendBackupCode marks the user's unused code with this hash used. Only one of any number of
 * concurrent spends of one code updates the row (the others find used_at set), so it succeeds once.
 */
export async function spendBackupCode(db: DbOrTx, userId: string, hash: Buffer, now: Date): Promise<boolean> {
  const spent = await db
    .updateTable("mfa_backup_codes")
    .set({ used_at: now })
    .where("user_id", "=", userId)
    .where("code_hash", "=", hash)
    .where("used_at", "is", null)
    .executeTakeFirst();
  return spent.numUpdatedRows === 1n;
}

/** countUnusedBackupCodes counts the backup codes the user has left. */
export async function countUnusedBackupCodes(db: DbOrTx, userId: string): Promise<number> {
  const { count } = await db
    .selectFrom("mfa_backup_codes")
    .select((eb) => eb.fn.countAll<string>().as("count"))
    .where("user_id", "=", userId)
    .where("used_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** ChallengeToOpen is a challenge to store, but for the methods it offers, which opening it reads. */
export type ChallengeToOpen = Required<Omit<Insertable<MfaChallengesTable>, "id" | "methods" | "failed_attempts" | "completed_at">>;

/** CHALLENGE_COLUMNS are the columns of a ChallengeToOpen, in the order they are inserted. */
const CHALLENGE_COLUMNS = [
  "user_id",
  "first_factor",
  "client_binding",
  "device_id",
  "device_name",
  "user_agent",
  "app_version",
  "ip_address",
  "risk_score",
  "risk_factors",
  "created_at",
  "expires_at",
] as const satisfies ReadonlyArray<keyof ChallengeToOpen>;

/**
 * openChallenge stores a sign-in challenge for a user with an active method and returns its id and
 * what it offers, which the same statement reads: the user's active methods, oldest first, then
 * backup codes when one is unused. For a user without an active method nothing is written (undefined).
 */
export async function openChallenge(db: DbOrTx, challenge: ChallengeToOpen): Promise<{ id: string; methods: string[] } | undefined> {
  const userId = challenge.user_id;
  const unusedBackupCode = db.selectFrom("mfa_backup_codes").select("id").where("user_id", "=", userId).where("used_at", "is", null);
  const offered = sql<string[]>`array_agg(kind order by created_at, id) || case when exists (${unusedBackupCode}) then array['backup_code'] else array[]::text[] end`;
  return db
    .insertInto("mfa_challenges")
    .columns([...CHALLENGE_COLUMNS, "methods"])
    .expression((eb) =>
      eb
        .selectFrom("mfa_methods")
        .select([...CHALLENGE_COLUMNS.map((column) => eb.val(challenge[column]).as(column)), offered.as("methods")])
        .where("user_id", "=", userId)
        .where("status", "=", "active")
        .having((eb) => eb.fn.countAll(), ">", 0),
    )
    .returning(["id", "methods"])
    .executeTakeFirst();
}

/** findActiveMethodOfKind reads the user's active method of a kind, if they have one. */
export function findActiveMethodOfKind(db: DbOrTx, userId: string, kind: MfaKindValue): Promise<MfaMethodRow | undefined> {
  return db.selectFrom("mfa_methods").selectAll().where("user_id", "=", userId).where("kind", "=", kind).where("status", "=", "active").executeTakeFirst();
}

/** JudgingMethod is what judging a code needs of the method it is for. */
export type JudgingMethod = Pick<MfaMethodRow, "id" | "status" | "secret_sealed" | "last_accepted_step">;

/** CodeBudget is a user's wrong second-factor codes in the current window, read under the budget row's lock. */
export interface CodeBudget {
  failures: number;
  /** When the window's first wrong code came; meaningless while failures is 0. */
  windowStartedAt: Date;
}

/**
 * lockedBudget is the conflict action that takes a user's existing budget row: it locks the row
 * until the transaction ends, so the user's codes are judged one at a time, and counts from zero
 * again once the window that started before windowEndedBefore has ended. Updating the row (even to
 * the same count) is what makes RETURNING give its newest version after waiting for the lock.
 */
const lockedBudget = (windowEndedBefore: Date) => (conflict: OnConflictBuilder<Database, "mfa_code_budgets">) =>
  conflict.column("user_id").doUpdateSet((eb) => ({
    failures: eb.case().when("mfa_code_budgets.window_started_at", "<=", windowEndedBefore).then(0).else(eb.ref("mfa_code_budgets.failures")).end(),
  }));

/**
 * lockCodeBudget locks the user's code budget (creating it on their first code) for the rest of
 * trx and returns it: a code is then judged and, when wrong, counted before any other code of the user.
 */
export async function lockCodeBudget(trx: Tx, userId: string, windowEndedBefore: Date): Promise<CodeBudget> {
  const { failures, window_started_at } = await trx
    .insertInto("mfa_code_budgets")
    .values({ user_id: userId })
    .onConflict(lockedBudget(windowEndedBefore))
    .returning(["failures", "window_started_at"])
    .executeTakeFirstOrThrow();
  return { failures, windowStartedAt: window_started_at };
}

/** countCodeFailure counts a wrong code in the budget trx has locked, starting a window with the first. */
export async function countCodeFailure(trx: Tx, userId: string, now: Date): Promise<void> {
  await trx
    .updateTable("mfa_code_budgets")
    .set((eb) => ({
      failures: eb("failures", "+", 1),
      window_started_at: eb.case().when("failures", "=", 0).then(now).else(eb.ref("window_started_at")).end(),
    }))
    .where("user_id", "=", userId)
    .execute();
}

/** ChallengeClaim is a claimed challenge, the user's method of the kind it is answered with (if the user has one) and the user's locked code budget. */
export interface ChallengeClaim {
  challenge: MfaChallengeRow;
  method: JudgingMethod | undefined;
  budget: CodeBudget;
}

/** ClaimRequest says which challenge to claim, when, and what else its claim reads. */
export interface ClaimRequest {
  challengeId: string;
  now: Date;
  /** A challenge with this many wrong codes is no longer answerable. */
  maxFailures: number;
  /** The kind of method the answer is from; null for a backup code. */
  kind: MfaKindValue | null;
  /** A code budget whose window started before this counts from zero (lockCodeBudget). */
  budgetWindowEndedBefore: Date;
}

/**
 * claimChallenge marks an answerable challenge answered and returns it: not yet answered, not
 * expired, with fewer than maxFailures wrong codes. The row stays locked until trx ends, so answers
 * to one challenge are judged one at a time; undefined when it cannot be answered. The same
 * statement, a round trip fewer each, reads the user's method of kind (none for a backup code, kind
 * null) and locks the user's code budget (lockCodeBudget). The method row is not locked: what spends a code (claimTotpStep, spendSmsCode) decides in its own
 * conditional write.
 */
export async function claimChallenge(trx: Tx, request: ClaimRequest): Promise<ChallengeClaim | undefined> {
  const { challengeId, now, maxFailures, kind, budgetWindowEndedBefore } = request;
  const row = await trx
    .with("claimed", (db) =>
      db
        .updateTable("mfa_challenges")
        .set({ completed_at: now })
        .where("id", "=", challengeId)
        .where("completed_at", "is", null)
        .where("expires_at", ">", now)
        .where("failed_attempts", "<", maxFailures)
        .returningAll(),
    )
    .with("budget", (db) =>
      db
        .insertInto("mfa_code_budgets")
        .columns(["user_id"])
        .expression(db.selectFrom("claimed").select("claimed.user_id"))
        .onConflict(lockedBudget(budgetWindowEndedBefore))
        .returning(["user_id", "failures", "window_started_at"]),
    )
    .selectFrom("claimed")
    .innerJoin("budget", "budget.user_id", "claimed.user_id")
    .leftJoin("mfa_methods as method", (join) => join.onRef("method.user_id", "=", "claimed.user_id").on((eb) => eb("method.kind", "=", eb.val(kind))))
    .selectAll("claimed")
    .select(["method.id as method_id", "method.status as method_status", "method.secret_sealed as method_secret_sealed", "method.last_accepted_step as method_last_accepted_step"])
    .select(["budget.failures as budget_failures", "budget.window_started_at as budget_window_started_at"])
    .executeTakeFirst();
  if (!row) return undefined;
  const { method_id, method_status, method_secret_sealed, method_last_accepted_step, budget_failures, budget_window_started_at, ...challenge } = row;
  const method = method_id === null || method_status === null ? undefined : { id: method_id, status: method_status, secret_sealed: method_secret_sealed, last_accepted_step: method_last_accepted_step };
  return { challenge, method, budget: { failures: budget_failures, windowStartedAt: budget_window_started_at } };
}

/** reopenChallenge undoes a claim that a wrong code answered, counting the failure, and returns how many the challenge has had. */
export async function reopenChallenge(trx: Tx, challengeId: string): Promise<number> {
  const { failed_attempts } = await trx
    .updateTable("mfa_challenges")
    .set((eb) => ({ completed_at: null, failed_attempts: eb("failed_attempts", "+", 1) }))
    .where("id", "=", challengeId)
    .returning("failed_attempts")
    .executeTakeFirstOrThrow();
  return failed_attempts;
}

/** SealedColumn is a column of mfa_methods that holds sealed values. */
export type SealedColumn = "secret_sealed" | "phone_sealed";

/** sealedContext is what a sealed value is bound to: its column and row, so it opens nowhere else. */
export const sealedContext = (column: SealedColumn, methodId: string) => `mfa_methods.${column}:${methodId}`;

/** findSealedAfter pages through the methods with a value in column, by id, limit at a time. */
export function findSealedAfter(db: DbOrTx, column: SealedColumn, afterId: string | undefined, limit: number): Promise<Array<{ id: string; sealed: string }>> {
  let query = db.selectFrom("mfa_methods").select(["id", `${column} as sealed`]).where(column, "is not", null);
  if (afterId) query = query.where("id", ">", afterId);
  return query.orderBy("id").limit(limit).execute() as Promise<Array<{ id: string; sealed: string }>>;
}

/** replaceSealed swaps a sealed value for its re-sealed form, unless it changed meanwhile (then it is left for the next pass). */
export async function replaceSealed(db: DbOrTx, column: SealedColumn, id: string, was: string, now: string): Promise<boolean> {
  const result = await db.updateTable("mfa_methods").set({ [column]: now }).where("id", "=", id).where(column, "=", was).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** insertSmsCode stores the keyed hash of a code sent to the method's phone, for enrolment (no challenge) or one challenge. */
export async function insertSmsCode(db: DbOrTx, code: { methodId: string; challengeId: string | null; hash: Buffer; createdAt: Date; expiresAt: Date }): Promise<void> {
  await db
    .insertInto("mfa_sms_codes")
    .values({ method_id: code.methodId, challenge_id: code.challengeId, code_hash: code.hash, created_at: code.createdAt, expires_at: code.expiresAt })
    .execute();
}

/**
 * spendSmsCode marks an unused, unexpired code with this hash, sent for the method and the
 * challenge (or for enrolment), used. Only one of any number of concurrent spends succeeds.
 */
export async function spendSmsCode(db: DbOrTx, methodId: string, challengeId: string | null, hash: Buffer, now: Date): Promise<boolean> {
  const spent = await db
    .updateTable("mfa_sms_codes")
    .set({ used_at: now })
    .where("method_id", "=", methodId)
    .where("challenge_id", challengeId === null ? "is" : "=", challengeId)
    .where("code_hash", "=", hash)
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return spent.numUpdatedRows === 1n;
}
