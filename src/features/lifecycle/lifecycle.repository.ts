import { sql, type Insertable, type Selectable } from "kysely";
import type { DbOrTx, Tx } from "../../db/database.js";
import type { UserStatusHistoryTable } from "../../db/tables/lifecycle.js";
import type { PagePosition } from "../../shared/page-token.js";

/** StatusChangeRow is a stored status change. */
export type StatusChangeRow = Selectable<UserStatusHistoryTable>;

/** insertStatusChange records a status change. */
export function insertStatusChange(trx: Tx, change: Insertable<UserStatusHistoryTable>): Promise<StatusChangeRow> {
  return trx.insertInto("user_status_history").values(change).returningAll().executeTakeFirstOrThrow();
}

/** findStatusChanges pages through the user's status changes, newest first, after the given position. */
export function findStatusChanges(db: DbOrTx, userId: string, limit: number, after?: PagePosition): Promise<StatusChangeRow[]> {
  let query = db.selectFrom("user_status_history").selectAll().where("user_id", "=", userId);
  if (after) query = query.where(sql<boolean>`(created_at, id) < (${after.at}, ${after.id})`);
  return query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
}
