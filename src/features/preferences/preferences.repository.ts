import type { DbOrTx, Tx } from "../../db/database.js";
import type { StoredPreferences } from "../../db/tables/preferences.js";

/** findPreferences reads the user's stored preferences; undefined when they never changed one. */
export async function findPreferences(db: DbOrTx, userId: string): Promise<StoredPreferences | undefined> {
  const row = await db.selectFrom("user_preferences").select("preferences").where("user_id", "=", userId).executeTakeFirst();
  return row?.preferences;
}

/**
 * lockPreferences reads the user's stored preferences and locks them until trx ends, creating the
 * row from defaults first if there is none, so concurrent updates of different fields both land.
 */
export async function lockPreferences(trx: Tx, userId: string, defaults: StoredPreferences, now: Date): Promise<StoredPreferences> {
  await trx
    .insertInto("user_preferences")
    .values({ user_id: userId, preferences: JSON.stringify(defaults), updated_at: now })
    .onConflict((oc) => oc.column("user_id").doNothing())
    .execute();
  const row = await trx.selectFrom("user_preferences").select("preferences").where("user_id", "=", userId).forUpdate().executeTakeFirstOrThrow();
  return row.preferences;
}

/** savePreferences stores the user's preferences. */
export async function savePreferences(trx: Tx, userId: string, preferences: StoredPreferences, now: Date): Promise<void> {
  await trx.updateTable("user_preferences").set({ preferences: JSON.stringify(preferences), updated_at: now }).where("user_id", "=", userId).execute();
}
