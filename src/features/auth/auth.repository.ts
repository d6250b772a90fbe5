import type { DbOrTx, Tx } from "../../db/database.js";

/** insertPasswordCredential stores a user's password hash. */
export async function insertPasswordCredential(trx: Tx, userId: string, passwordHash: string): Promise<void> {
  await trx.insertInto("credentials").values({ user_id: userId, kind: "password", password_hash: passwordHash }).execute();
}

/** insertOidcCredential links a user to an identity provider's subject; a linked identity fails on credentials_oidc_identity. */
export async function insertOidcCredential(trx: Tx, userId: string, issuer: string, subject: string): Promise<void> {
  await trx.insertInto("credentials").values({ user_id: userId, kind: "oidc", oidc_issuer: issuer, oidc_subject: subject }).execute();
}

/** findPasswordHash reads a user's password hash; undefined when the user signs in only through a provider. */
export async function findPasswordHash(db: DbOrTx, userId: string): Promise<string | undefined> {
  const row = await db.selectFrom("credentials").select("password_hash").where("user_id", "=", userId).where("kind", "=", "password").executeTakeFirst();
  return row?.password_hash ?? undefined;
}

/** findOidcUser finds the user registered with an identity provider's subject. */
export async function findOidcUser(db: DbOrTx, issuer: string, subject: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("credentials")
    .select("user_id")
    .where("kind", "=", "oidc")
    .where("oidc_issuer", "=", issuer)
    .where("oidc_subject", "=", subject)
    .executeTakeFirst();
  return row?.user_id;
}

/** findOidcIssuer is the identity provider (its issuer) an account signs in with; undefined for a password account. */
export async function findOidcIssuer(db: DbOrTx, userId: string): Promise<string | undefined> {
  const row = await db.selectFrom("credentials").select("oidc_issuer").where("user_id", "=", userId).where("kind", "=", "oidc").executeTakeFirst();
  return row?.oidc_issuer ?? undefined;
}
