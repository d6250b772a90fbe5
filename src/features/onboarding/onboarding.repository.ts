import type { Selectable } from "kysely";
import type { DbOrTx, Tx } from "../../db/database.js";
import type { OnboardingsTable } from "../../db/tables/onboarding.js";

/** OnboardingRow is a stored onboarding. */
export type OnboardingRow = Selectable<OnboardingsTable>;

/** insertOnboarding starts a user's onboarding. */
export async function insertOnboarding(trx: Tx, userId: string, startedAt: Date, expiresAt: Date): Promise<void> {
  await trx.insertInto("onboardings").values({ user_id: userId, started_at: startedAt, expires_at: expiresAt }).execute();
}

/** findOnboarding reads the user's onboarding; every user has one from registration on. */
export function findOnboarding(db: DbOrTx, userId: string): Promise<OnboardingRow | undefined> {
  return db.selectFrom("onboardings").selectAll().where("user_id", "=", userId).executeTakeFirst();
}

/**
 * lockOnboarding reads the user's onboarding and locks it until trx ends: steps completed at once,
 * and an event arriving meanwhile, then see each other, so exactly one of them completes it.
 */
export function lockOnboarding(trx: Tx, userId: string): Promise<OnboardingRow | undefined> {
  return trx.selectFrom("onboardings").selectAll().where("user_id", "=", userId).forUpdate().executeTakeFirst();
}

/** saveOnboarding stores the user's answers, events and completion. */
export async function saveOnboarding(trx: Tx, row: Pick<OnboardingRow, "user_id" | "steps" | "events" | "completed_at">): Promise<void> {
  await trx
    .updateTable("onboardings")
    .set({ steps: JSON.stringify(row.steps), events: JSON.stringify(row.events), completed_at: row.completed_at })
    .where("user_id", "=", row.user_id)
    .execute();
}
