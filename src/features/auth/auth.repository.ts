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
  /** Whether the device the sign-in comes from has had a session of this account before. */
  knownDevice: boolean;
}

/**
 * findPasswordLogin finds the account a password sign-in names. A device is known when a session of
 * the account was opened from its device id: sessions open only on a successful sign-in or sign-up,
 * so naming a device id is not enough to claim one, knowing the owner's is.
 */
export async function findPasswordLogin(db: DbOrTx, email: string, deviceId: string | undefined): Promise<PasswordLogin | undefined> {
  const row = await db
    .selectFrom("users")
    .innerJoin("credentials", (join) => join.onRef("credentials.user_id", "=", "users.id").on("credentials.kind", "=", "password"))
    .select(["users.id", "users.status", "credentials.password_hash"])
    .select((eb) =>
      (deviceId
        ? eb.exists(eb.selectFrom("sessions").select("sessions.id").whereRef("sessions.user_id", "=", "users.id").where("sessions.device_id", "=", deviceId))
        : eb.lit(false)
      ).as("known_device"),
    )
    .where((eb) => eb(eb.fn("lower", ["users.email"]), "=", email))
    .executeTakeFirst();
  if (!row?.password_hash) return undefined;
  return { userId: row.id, status: row.status, passwordHash: row.password_hash, knownDevice: Boolean(row.known_device) };
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
