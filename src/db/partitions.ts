import { sql } from "kysely";
import type { Db } from "./database.js";

/** PartitionedTable names a table partitioned by month of created_at, whose partitions are <table>_YYYY_MM. */
export type PartitionedTable = "user_activities";

/** monthStart is the first instant (UTC) of the month `offset` months from the one holding at. */
export function monthStart(at: Date, offset = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1));
}

/** partitionName is the name of table's partition for the month starting at month. */
export function partitionName(table: PartitionedTable, month: Date): string {
  return `${table}_${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, "0")}`;
}

// 42P07: the table exists; 23505: two processes created it at once (its row type's name collided).
const ALREADY_CREATED = new Set(["42P07", "23505"]);

/**
 * ensureMonthlyPartitions makes table's partitions for the month holding `from` and the `ahead`
 * months after it, those missing only. Every process may run it at once.
 */
export async function ensureMonthlyPartitions(db: Db, table: PartitionedTable, from: Date, ahead: number): Promise<void> {
  for (let offset = 0; offset <= ahead; offset++) {
    const [start, end] = [monthStart(from, offset), monthStart(from, offset + 1)];
    const name = partitionName(table, start);
    try {
      await sql`create table if not exists ${sql.table(name)} partition of ${sql.table(table)}
        for values from (${sql.lit(start.toISOString())}) to (${sql.lit(end.toISOString())})`.execute(db);
    } catch (error) {
      if (!ALREADY_CREATED.has((error as { code?: string }).code ?? "")) throw error;
    }
  }
}
