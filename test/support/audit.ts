import { sql } from "kysely";
import type { Db } from "../../src/db/database.js";

/** tamperWith runs a statement with the append-only triggers off, as someone with the database's superuser would. */
export function tamperWith(db: Db, statement: ReturnType<typeof sql>): Promise<void> {
  return db.transaction().execute(async (trx) => {
    await sql`set local session_replication_role = replica`.execute(trx);
    await statement.execute(trx);
  });
}

/** auditPartitions lists the audit trail's partitions by name. */
export async function auditPartitions(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    join pg_class p on p.oid = i.inhparent where p.relname = 'audit_trail' order by 1`.execute(db);
  return rows.map((row) => row.name);
}
