import { sql, type Kysely } from "kysely";

// The audit trail as lanes: each lane is its own hash chain (one per organization, a fixed number
// for events outside organizations), so writers wait only for writers of their own lane. The rows
// written so far form one chain and become the lane "platform:0", which later rows continue; their
// hashes do not change. Each lane's head is kept beside the trail for writers and checkpoints, and
// signed checkpoints of the heads make a lane cut short or dropped detectable.
/** LANE_LOCK_SPACE keeps the lanes' advisory locks apart from any other advisory lock. */
const LANE_LOCK_SPACE = 0x5a0d17;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create or replace function audit_trail_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception '% is append-only', tg_table_name using errcode = 'insufficient_privilege';
    end $$`.execute(db);

  await db.schema.alterTable("audit_trail").addColumn("lane", "text").addColumn("lane_seq", "bigint").execute();
  // The backfill is the one change ever made to existing rows, so the append-only trigger steps aside for it.
  await sql`alter table audit_trail disable trigger audit_trail_append_only`.execute(db);
  await sql`update audit_trail set lane = 'platform:0', lane_seq = numbered.n
    from (select seq, row_number() over (order by seq) as n from audit_trail) as numbered
    where audit_trail.seq = numbered.seq`.execute(db);
  await sql`alter table audit_trail enable trigger audit_trail_append_only`.execute(db);
  await sql`alter table audit_trail alter column lane set not null, alter column lane_seq set not null`.execute(db);
  await db.schema.createIndex("audit_trail_lane_seq").on("audit_trail").columns(["lane", "lane_seq"]).unique().execute();

  // Lists run newest first by time, filtered by resource, actor or organization.
  await db.schema.dropIndex("audit_trail_resource").execute();
  await db.schema.dropIndex("audit_trail_actor").execute();
  await db.schema.createIndex("audit_trail_time").on("audit_trail").columns(["created_at", "id"]).execute();
  await db.schema.createIndex("audit_trail_resource").on("audit_trail").columns(["resource_type", "resource_id", "created_at", "id"]).execute();
  await db.schema.createIndex("audit_trail_actor").on("audit_trail").columns(["actor_user_id", "created_at", "id"]).execute();
  await db.schema.createIndex("audit_trail_organization").on("audit_trail").columns(["organization_id", "created_at", "id"]).execute();

  await db.schema
    .createTable("audit_lane_heads")
    .addColumn("lane", "text", (c) => c.primaryKey())
    .addColumn("seq", "bigint", (c) => c.notNull())
    .addColumn("hash", "bytea", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("signed_seq", "bigint", (c) => c.notNull().defaultTo(0))
    .addCheckConstraint("audit_lane_heads_hash_length", sql`length(hash) = 32`)
    .execute();
  await sql`insert into audit_lane_heads (lane, seq, hash, created_at)
    select lane, lane_seq, hash, created_at from audit_trail order by seq desc limit 1`.execute(db);
  // A writer takes its lane's lock (held until its transaction ends) and reads the head in one round
  // trip: the lock is held for as short a time as the append allows. The read after the lock sees
  // what the lane's previous writer committed (each statement of a volatile function reads afresh).
  await sql`create function audit_lane_head(p_lane text) returns table (seq bigint, hash bytea, created_at timestamptz)
    language plpgsql volatile as $$
    begin
      perform pg_advisory_xact_lock(${sql.lit(LANE_LOCK_SPACE)}, hashtext(p_lane));
      return query select h.seq, h.hash, h.created_at from audit_lane_heads h where h.lane = p_lane;
    end $$`.execute(db);

  await db.schema
    .createTable("audit_checkpoints")
    .addColumn("seq", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("jws", "text", (c) => c.notNull())
    .execute();
  await sql`create trigger audit_checkpoints_append_only before update or delete on audit_checkpoints
    for each row execute function audit_trail_refuse_change()`.execute(db);
  await sql`create trigger audit_checkpoints_no_truncate before truncate on audit_checkpoints
    for each statement execute function audit_trail_refuse_change()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function audit_lane_head(text)`.execute(db);
  await db.schema.dropTable("audit_checkpoints").execute();
  await db.schema.dropTable("audit_lane_heads").execute();
  for (const index of ["audit_trail_time", "audit_trail_resource", "audit_trail_actor", "audit_trail_organization", "audit_trail_lane_seq"]) {
    await db.schema.dropIndex(index).execute();
  }
  await db.schema.createIndex("audit_trail_resource").on("audit_trail").columns(["resource_type", "resource_id", "seq"]).execute();
  await db.schema.createIndex("audit_trail_actor").on("audit_trail").columns(["actor_user_id", "seq"]).execute();
  await db.schema.alterTable("audit_trail").dropColumn("lane").dropColumn("lane_seq").execute();
}
