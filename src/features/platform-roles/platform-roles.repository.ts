import type { DbOrTx, Tx } from "../../db/database.js";
import type { PlatformRole } from "../../shared/principal.js";

/** insertGrant adds the grant; false when the user already held the role. */
export async function insertGrant(trx: Tx, userId: string, role: PlatformRole): Promise<boolean> {
  const result = await trx
    .insertInto("platform_role_grants")
    .values({ user_id: userId, role })
    .onConflict((oc) => oc.columns(["user_id", "role"]).doNothing())
    .executeTakeFirst();
  return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

/** platformRolesOf lists the platform roles granted to a user, in name order. */
export async function platformRolesOf(db: DbOrTx, userId: string): Promise<PlatformRole[]> {
  const rows = await db.selectFrom("platform_role_grants").select("role").where("user_id", "=", userId).orderBy("role").execute();
  return rows.map((row) => row.role);
}

/** deleteGrant takes the role away; false when the user did not hold it. */
export async function deleteGrant(trx: Tx, userId: string, role: PlatformRole): Promise<boolean> {
  const result = await trx.deleteFrom("platform_role_grants").where("user_id", "=", userId).where("role", "=", role).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
