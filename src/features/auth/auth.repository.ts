import type { DbOrTx, Tx } from "../../db/database.js";
import type { UserStatusValue } from "../../db/tables/users.js";

export async function insertPasswordCredential(trx: Tx, userId: string, passwordHash: string): Promise<void> {
  await trx.insertInto("credentials").values({ user_id: userId, kind: "password", password_hash: passwordHash }).execute();
}

export async function insertOidcCredential(trx: Tx, userId: string, issuer: string, subject: string): Promise<void> {
  await trx.insertInto("credentials").values({ user_id: userId, kind: "oidc", oidc_issuer: issuer, oidc_subject: subject }).execute();
}

/** PasswordLogin is what checking a password sign-in needs to know of an account. */
export interface PasswordLogin {
  userId: string;
  status: UserStatusValue;
  passwordHash: string;
}

export async function findPasswordLogin(db: DbOrTx, email: string): Promise<PasswordLogin | undefined> {
  const row = await db
    .selectFrom("users")
    .innerJoin("credentials", (join) => join.onRef("credentials.user_id", "=", "users.id").on("credentials.kind", "=", "password"))
    .select(["users.id", "users.status", "credentials.password_hash"])
    .where((eb) => eb(eb.fn("lower", ["users.email"]), "=", email))
    .executeTakeFirst();
  if (!row?.password_hash) return undefined;
  return { userId: row.id, status: row.status, passwordHash: row.password_hash };
}

/** findOidcLogin finds the account registered with an identity provider's subject. */
export async function findOidcLogin(db: DbOrTx, issuer: string, subject: string): Promise<{ userId: string; status: UserStatusValue } | undefined> {
  const row = await db
    .selectFrom("credentials")
    .innerJoin("users", "users.id", "credentials.user_id")
    .select(["users.id", "users.status"])
    .where("credentials.kind", "=", "oidc")
    .where("credentials.oidc_issuer", "=", issuer)
    .where("credentials.oidc_subject", "=", subject)
    .executeTakeFirst();
  return row && { userId: row.id, status: row.status };
}
