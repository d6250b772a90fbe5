import type { Insertable, Selectable } from "kysely";
import type { DbOrTx, Tx } from "../../db/database.js";
import type { ComplianceProfilesTable } from "../../db/tables/compliance.js";

/** ComplianceProfileRow is a stored compliance profile. */
export type ComplianceProfileRow = Selectable<ComplianceProfilesTable>;

/** findComplianceProfile reads a user's compliance profile; undefined before the first verification. */
export function findComplianceProfile(db: DbOrTx, userId: string): Promise<ComplianceProfileRow | undefined> {
  return db.selectFrom("compliance_profiles").selectAll().where("user_id", "=", userId).executeTakeFirst();
}

/** lockComplianceProfile reads a user's compliance profile and row-locks it until trx ends. */
export function lockComplianceProfile(trx: Tx, userId: string): Promise<ComplianceProfileRow | undefined> {
  return trx.selectFrom("compliance_profiles").selectAll().where("user_id", "=", userId).forUpdate().executeTakeFirst();
}

/** saveComplianceProfile writes a user's compliance profile whole, creating it the first time. */
export async function saveComplianceProfile(trx: Tx, row: Insertable<ComplianceProfilesTable>): Promise<void> {
  const { user_id: _, created_at: __, ...changes } = row;
  await trx
    .insertInto("compliance_profiles")
    .values(row)
    .onConflict((oc) => oc.column("user_id").doUpdateSet(changes))
    .execute();
}
