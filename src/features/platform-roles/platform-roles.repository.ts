import type { Tx } from "../../db/database.js";
import type { PlatformRole } from "../../shared/principal.js";

export function findUserIdByEmail(trx: Tx, email: string) {
  return trx
    .selectFrom("users")
    .select("id")
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", email))
    .executeTakeFirst();
}

/** insertGrant adds the grant; false when the user already held the role. */
export async function insertGrant(trx: Tx, userId: string, role: PlatformRole): Promise<boolean> {
  const result = await trx
    .insertInto("platform_role_grants")
    .values({ user_id: userId, role })
    .onConflict((oc) => oc.columns(["user_id", "role"]).doNothing())
    .executeTakeFirst();
  return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
}
