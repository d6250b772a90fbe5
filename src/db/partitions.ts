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

/** PARTITION_NAME reads the month out of a partition's name. */
const PARTITION_NAME = /_(\d{4})_(\d{2})$/;

/**
 * dropMonthlyPartitionsBefore detaches and drops table's partitions whose whole month lies before
 * cutoff, and returns their names: retention by the month, without deleting a row at a time.
 */
export async function dropMonthlyPartitionsBefore(db: Db, table: PartitionedTable, cutoff: Date): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select c.relname as name from pg_inherits i
    join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
    where p.relname = ${table} order by c.relname`.execute(db);
  const dropped: string[] = [];
  for (const { name } of rows) {
    const month = PARTITION_NAME.exec(name);
    if (!month || !name.startsWith(`${table}_`)) continue;
    const end = new Date(Date.UTC(Number(month[1]), Number(month[2]), 1));
    if (end > cutoff) continue;
    await sql`alter table ${sql.table(table)} detach partition ${sql.table(name)}`.execute(db);
    await sql`drop table ${sql.table(name)}`.execute(db);
    dropped.push(name);
  }
  return dropped;
}
