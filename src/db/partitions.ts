import { sql } from "kysely";
import type { Db, DbOrTx } from "./database.js";
import { transaction } from "./transaction.js";

/** PartitionedTable names a table partitioned by month of created_at, whose partitions are <table>_YYYY_MM. */
export type PartitionedTable = "user_activities" | "audit_trail";

/**
 * APPEND_ONLY are the tables whose partitions refuse TRUNCATE, as their parent does: a statement
 * trigger on the parent does not fire for a partition truncated by name.
 */
const APPEND_ONLY: ReadonlySet<PartitionedTable> = new Set(["audit_trail"]);

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
// 23514: the table's default partition holds rows of the month, which then stay there.
const HELD_BY_DEFAULT = "23514";

/**
 * ensureMonthlyPartitions makes table's partitions for the month holding `from` and the `ahead`
 * months after it, those missing only, and returns the months it could not make because the
 * table's default partition already holds rows of them. Every process may run it at once: a
 * partition and its trigger are made in one transaction, so one that exists is complete.
 */
export async function ensureMonthlyPartitions(db: Db, table: PartitionedTable, from: Date, ahead: number): Promise<string[]> {
  const heldByDefault: string[] = [];
  for (let offset = 0; offset <= ahead; offset++) {
    const [start, end] = [monthStart(from, offset), monthStart(from, offset + 1)];
    const name = partitionName(table, start);
    const { rows } = await sql<{ found: string | null }>`select to_regclass(${name})::text as found`.execute(db);
    if (rows[0]?.found) continue;
    try {
      await transaction(db, async (trx) => {
        await sql`create table ${sql.table(name)} partition of ${sql.table(table)}
          for values from (${sql.lit(start.toISOString())}) to (${sql.lit(end.toISOString())})`.execute(trx);
        if (APPEND_ONLY.has(table)) {
          await sql`create trigger ${sql.id(`${table}_no_truncate`)} before truncate on ${sql.table(name)}
            for each statement execute function audit_trail_refuse_change()`.execute(trx);
        }
      });
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      if (code === HELD_BY_DEFAULT) heldByDefault.push(name);
      else if (!ALREADY_CREATED.has(code)) throw error;
    }
  }
  return heldByDefault;
}

/** PARTITION_NAME reads the month out of a partition's name. */
const PARTITION_NAME = /_(\d{4})_(\d{2})$/;

/** MonthlyPartition is one month's partition of a table. */
export interface MonthlyPartition {
  name: string;
  /** The first instant after its month. */
  end: Date;
}

/** findMonthlyPartitionsBefore lists table's partitions whose whole month lies before cutoff, oldest first. */
export async function findMonthlyPartitionsBefore(db: DbOrTx, table: PartitionedTable, cutoff: Date): Promise<MonthlyPartition[]> {
  const { rows } = await sql<{ name: string }>`select c.relname as name from pg_inherits i
    join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
    where p.relname = ${table} order by c.relname`.execute(db);
  const found: MonthlyPartition[] = [];
  for (const { name } of rows) {
    const month = PARTITION_NAME.exec(name);
    if (!month || !name.startsWith(`${table}_`)) continue;
    const end = new Date(Date.UTC(Number(month[1]), Number(month[2]), 1));
    if (end <= cutoff) found.push({ name, end });
  }
  return found;
}

/** dropPartitions detaches and drops partitions of table: retention by the month, without deleting a row at a time. */
export async function dropPartitions(db: DbOrTx, table: PartitionedTable, partitions: readonly MonthlyPartition[]): Promise<void> {
  for (const { name } of partitions) {
    await sql`alter table ${sql.table(table)} detach partition ${sql.table(name)}`.execute(db);
    await sql`drop table ${sql.table(name)}`.execute(db);
  }
}

/** dropMonthlyPartitionsBefore detaches and drops table's partitions whose whole month lies before cutoff, and returns their names. */
export async function dropMonthlyPartitionsBefore(db: Db, table: PartitionedTable, cutoff: Date): Promise<string[]> {
  const partitions = await findMonthlyPartitionsBefore(db, table, cutoff);
  await dropPartitions(db, table, partitions);
  return partitions.map((partition) => partition.name);
}
