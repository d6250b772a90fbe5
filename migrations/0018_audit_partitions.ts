import { sql, type Kysely } from "kysely";

// The audit trail partitioned by month of created_at, so the months past the retention period are
// dropped whole (the chain stays verifiable from the signed cut made when they go). The rows so far
// are copied into monthly partitions, made from the oldest row's month (last month at the latest)
// to three months ahead; the maintenance job keeps making the next ones. A partitioned table's
// unique keys must hold the partition key, so the key is (created_at, id); a lane's seqs stay
// unique because a writer takes the lane's lock and moves its head in audit_lane_heads with the
// same statement that inserts the row. Checkpoints that sign a retention cut are marked, for exports.
const COLUMNS = sql.raw(
  "seq, id, lane, lane_seq, actor_user_id, action, resource_type, resource_id, organization_id, old_values, new_values, " +
    "reason, ip_address, user_agent, compliance_relevant, created_at, request_id, on_behalf_of_user_id, prev_hash, hash",
);
const INDEXES = ["audit_trail_lane_seq", "audit_trail_time", "audit_trail_resource", "audit_trail_actor", "audit_trail_organization"];

async function createIndexes(db: Kysely<any>, laneSeqUnique: boolean): Promise<void> {
  await db.schema.createIndex("audit_trail_lane_seq").on("audit_trail").columns(["lane", "lane_seq"]).$call((b) => (laneSeqUnique ? b.unique() : b)).execute();
  await db.schema.createIndex("audit_trail_time").on("audit_trail").columns(["created_at", "id"]).execute();
  await db.schema.createIndex("audit_trail_resource").on("audit_trail").columns(["resource_type", "resource_id", "created_at", "id"]).execute();
  await db.schema.createIndex("audit_trail_actor").on("audit_trail").columns(["actor_user_id", "created_at", "id"]).execute();
  await db.schema.createIndex("audit_trail_organization").on("audit_trail").columns(["organization_id", "created_at", "id"]).execute();
}

async function setAside(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_trail rename to audit_trail_before`.execute(db);
  for (const index of INDEXES) await db.schema.dropIndex(index).execute();
  await sql`alter table audit_trail_before drop constraint audit_trail_hash_lengths`.execute(db);
  await sql`alter table audit_trail_before drop constraint if exists audit_trail_id_key`.execute(db);
  await sql`alter table audit_trail_before rename constraint audit_trail_pkey to audit_trail_before_pkey`.execute(db);
}

async function protect(db: Kysely<any>): Promise<void> {
  await sql`create trigger audit_trail_append_only before update or delete on audit_trail
    for each row execute function audit_trail_refuse_change()`.execute(db);
  await sql`create trigger audit_trail_no_truncate before truncate on audit_trail
    for each statement execute function audit_trail_refuse_change()`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  await setAside(db);
  await sql`create sequence audit_trail_seq_numbers`.execute(db);
  await sql`create table audit_trail (
    seq bigint not null default nextval('audit_trail_seq_numbers'),
    id uuid not null,
    lane text not null,
    lane_seq bigint not null,
    actor_user_id uuid,
    action text not null,
    resource_type text not null,
    resource_id text not null,
    organization_id uuid,
    old_values jsonb,
    new_values jsonb,
    reason text,
    ip_address text,
    user_agent text,
    compliance_relevant boolean not null,
    created_at timestamptz not null,
    request_id text,
    on_behalf_of_user_id uuid,
    prev_hash bytea not null,
    hash bytea not null,
    primary key (created_at, id),
    constraint audit_trail_hash_lengths check (length(prev_hash) = 32 and length(hash) = 32)
  ) partition by range (created_at)`.execute(db);
  await sql`alter sequence audit_trail_seq_numbers owned by audit_trail.seq`.execute(db);
  await createIndexes(db, false);
  await sql`do $$
    declare
      first timestamp := date_trunc('month', least((select min(created_at) from audit_trail_before), now() - interval '1 month') at time zone 'UTC');
      last timestamp := date_trunc('month', greatest(now(), coalesce((select max(created_at) from audit_trail_before), now())) at time zone 'UTC') + interval '3 months';
      month timestamp := first;
    begin
      while month <= last loop
        execute format('create table %I partition of audit_trail for values from (%L) to (%L)',
          'audit_trail_' || to_char(month, 'YYYY_MM'),
          to_char(month, 'YYYY-MM-DD') || ' 00:00:00+00',
          to_char(month + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00');
        execute format('create trigger audit_trail_no_truncate before truncate on %I for each statement execute function audit_trail_refuse_change()',
          'audit_trail_' || to_char(month, 'YYYY_MM'));
        month := month + interval '1 month';
      end loop;
    end $$`.execute(db);
  // Entries dated past the months made (the maintenance job stopped for months) land here instead of
  // failing every change that records one; a month whose entries are here keeps them here.
  await sql`create table audit_trail_default partition of audit_trail default`.execute(db);
  await sql`create trigger audit_trail_no_truncate before truncate on audit_trail_default
    for each statement execute function audit_trail_refuse_change()`.execute(db);
  await sql`insert into audit_trail (${COLUMNS}) select ${COLUMNS} from audit_trail_before order by seq`.execute(db);
  await sql`select setval('audit_trail_seq_numbers', coalesce((select max(seq) from audit_trail), 0) + 1, false)`.execute(db);
  await sql`drop table audit_trail_before`.execute(db);
  await protect(db);
  // The checkpoints that sign a retention cut, found without reading every checkpoint.
  await db.schema.alterTable("audit_checkpoints").addColumn("cut", "boolean", (c) => c.notNull().defaultTo(false)).execute();
  await sql`create index audit_checkpoints_cut on audit_checkpoints (seq) where cut`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("audit_checkpoints").dropColumn("cut").execute();
  await setAside(db);
  await sql`create table audit_trail (like audit_trail_before including defaults)`.execute(db);
  await sql`alter table audit_trail alter column seq drop default, alter column seq add generated always as identity`.execute(db);
  await sql`alter table audit_trail add primary key (seq), add unique (id),
    add constraint audit_trail_hash_lengths check (length(prev_hash) = 32 and length(hash) = 32)`.execute(db);
  await createIndexes(db, true);
  await sql`insert into audit_trail (${COLUMNS}) overriding system value select ${COLUMNS} from audit_trail_before order by seq`.execute(db);
  await sql`select setval(pg_get_serial_sequence('audit_trail', 'seq'), coalesce((select max(seq) from audit_trail), 0) + 1, false)`.execute(db);
  await sql`drop table audit_trail_before cascade`.execute(db);
  await protect(db);
}
