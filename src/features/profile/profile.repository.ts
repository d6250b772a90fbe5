import { sql, type SelectQueryBuilder } from "kysely";
import type { Database, DbOrTx, Tx } from "../../db/database.js";
import type { PagePosition } from "../../shared/page-token.js";
import type { InvestmentProfileValue, RiskToleranceValue } from "../../db/tables/users.js";
import type { RegistrationTypeValue } from "../../shared/identity-providers.js";
import type { UserStatusValue, VerificationStatusValue } from "../../shared/user-status.js";

/** NewUser is a user row to insert at registration. */
export interface NewUser {
  email: string;
  fullName: string;
  status: UserStatusValue;
  verificationStatus: VerificationStatusValue;
  registrationType: RegistrationTypeValue;
  investmentProfile: InvestmentProfileValue;
  riskTolerance: RiskToleranceValue;
  createdAt: Date;
}

/** insertUser inserts a user and returns its id; a taken e-mail fails on users_email_unique. */
export async function insertUser(trx: Tx, user: NewUser): Promise<string> {
  const row = await trx
    .insertInto("users")
    .values({
      email: user.email,
      full_name: user.fullName,
      status: user.status,
      verification_status: user.verificationStatus,
      registration_type: user.registrationType,
      investment_profile: user.investmentProfile,
      risk_tolerance: user.riskTolerance,
      created_at: user.createdAt,
      updated_at: user.createdAt,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * effectiveStatus is the status column as every read sees it: a lock whose end has passed is read
 * as active, so a lock with an end lifts by itself, on every replica, with nothing to run.
 */
const effectiveStatusOf = sql<UserStatusValue>`case when status = 'locked' and locked_until <= now() then 'active' else status end`;
const effectiveStatus = effectiveStatusOf.as("status");

const profileColumns = [
  "id",
  "email",
  "full_name",
  effectiveStatus,
  "verification_status",
  "investment_profile",
  "risk_tolerance",
  "created_at",
] as const;

/** findUser reads the columns a profile shows. */
export function findUser(db: DbOrTx, userId: string) {
  return db.selectFrom("users").select(profileColumns).where("id", "=", userId).executeTakeFirst();
}

/** findUserNames reads the e-mail addresses and names of the users with these ids. */
export function findUserNames(db: DbOrTx, userIds: readonly string[]) {
  return db.selectFrom("users").select(["id", "email", "full_name"]).where("id", "in", userIds).execute();
}

/** findUserForUpdate reads and row-locks a user, so concurrent updates audit the right old values. */
export function findUserForUpdate(trx: Tx, userId: string) {
  return trx.selectFrom("users").select(profileColumns).where("id", "=", userId).forUpdate().executeTakeFirst();
}

/** UserChanges are the profile fields an update sets; an absent field is left as it is. */
export interface UserChanges {
  fullName?: string;
  investmentProfile?: InvestmentProfileValue;
  riskTolerance?: RiskToleranceValue;
}

/** updateUser applies changes and stamps updated_at with now. */
export async function updateUser(trx: Tx, userId: string, changes: UserChanges, now: Date): Promise<void> {
  await trx
    .updateTable("users")
    .set({
      ...(changes.fullName !== undefined && { full_name: changes.fullName }),
      ...(changes.investmentProfile !== undefined && { investment_profile: changes.investmentProfile }),
      ...(changes.riskTolerance !== undefined && { risk_tolerance: changes.riskTolerance }),
      updated_at: now,
    })
    .where("id", "=", userId)
    .execute();
}

/** Account is what signing in needs to know of a user: who it is and whether it may be used. */
export interface Account {
  userId: string;
  status: UserStatusValue;
}

/** findAccountByEmail finds the user with this normalised e-mail (normalizeEmail). */
export async function findAccountByEmail(db: DbOrTx, email: string): Promise<Account | undefined> {
  const row = await db
    .selectFrom("users")
    .select(["id", effectiveStatus])
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", email))
    .executeTakeFirst();
  return row && { userId: row.id, status: row.status };
}

/** findAccountStatus reads a user's lifecycle status; undefined when there is no such user. */
export async function findAccountStatus(db: DbOrTx, userId: string): Promise<UserStatusValue | undefined> {
  const row = await db.selectFrom("users").select(effectiveStatus).where("id", "=", userId).executeTakeFirst();
  return row?.status;
}

/** UserFilter narrows a listing of users; undefined members match everyone. */
export interface UserFilter {
  status?: UserStatusValue;
  /** The start of the e-mail address, lower-case. */
  emailPrefix?: string;
  /** A subquery of the user ids to keep (another area's, such as an organization's members). */
  idsIn?: SelectQueryBuilder<Database, any, { user_id: string }>;
}

/** likePrefix is a LIKE pattern matching text that starts with prefix, taken literally. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** findUsers pages through the users the filter keeps, newest first, after the given position. */
export function findUsers(db: DbOrTx, filter: UserFilter, limit: number, after?: PagePosition) {
  let query = db.selectFrom("users").select(["id", "email", "full_name", effectiveStatus, "created_at"]);
  if (filter.status) query = query.where(effectiveStatusOf, "=", filter.status);
  if (filter.emailPrefix) query = query.where((eb) => eb(eb.fn("lower", ["email"]), "like", likePrefix(filter.emailPrefix!)));
  if (filter.idsIn) query = query.where("id", "in", filter.idsIn);
  if (after) query = query.where(sql<boolean>`(created_at, id) < (${after.at}, ${after.id})`);
  return query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
}

/** lockAccountStatus reads a user's status and row-locks the user until trx ends, so status changes take turns. */
export async function lockAccountStatus(trx: Tx, userId: string): Promise<UserStatusValue | undefined> {
  const row = await trx.selectFrom("users").select(effectiveStatus).where("id", "=", userId).forUpdate().executeTakeFirst();
  return row?.status;
}

const applicantColumns = ["id", "email", "full_name", "registration_type", "verification_status", effectiveStatus] as const;

/** findApplicant reads what identity verification judges a user by. */
export function findApplicant(db: DbOrTx, userId: string) {
  return db.selectFrom("users").select(applicantColumns).where("id", "=", userId).executeTakeFirst();
}

/** lockApplicant reads what identity verification judges a user by, and row-locks the user until trx ends, so verifications take turns. */
export function lockApplicant(trx: Tx, userId: string) {
  return trx.selectFrom("users").select(applicantColumns).where("id", "=", userId).forUpdate().executeTakeFirst();
}

/** updateVerificationStatus sets the outcome of a user's identity verification. */
export async function updateVerificationStatus(trx: Tx, userId: string, status: VerificationStatusValue, now: Date): Promise<void> {
  await trx.updateTable("users").set({ verification_status: status, updated_at: now }).where("id", "=", userId).execute();
}

/** updateAccountStatus sets a user's status, with when a lock ends (null: never, or not locked). */
export async function updateAccountStatus(trx: Tx, userId: string, status: UserStatusValue, lockedUntil: Date | null, now: Date): Promise<void> {
  await trx.updateTable("users").set({ status, locked_until: lockedUntil, updated_at: now }).where("id", "=", userId).execute();
}
