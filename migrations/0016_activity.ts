import { sql, type Kysely } from "kysely";

// Users' activity: every call, recorded in batches, in a table partitioned by month so old months
// are dropped whole; and the daily rollup of each user's figures. The partitions from last month
// to three months ahead are made here; the maintenance job keeps making the next ones. A day is
// kept as its UTC date's text (YYYY-MM-DD), which sorts and compares as the days do.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table user_activities (
    id uuid not null,
    user_id uuid,
    session_id uuid,
    organization_id uuid,
    activity_type text not null,
    method text not null,
    status_code text not null,
    latency_ms real not null,
    ip_address text,
    user_agent text,
    request_id text,
    created_at timestamptz not null,
    primary key (created_at, id),
    constraint user_activities_type_known check (activity_type in ('login', 'logout', 'api_call', 'feature_use', 'security_event', 'error'))
  ) partition by range (created_at)`.execute(db);
  await sql`create index user_activities_user on user_activities (user_id, created_at, id)`.execute(db);
  await sql`do $$
    declare
      first timestamp := date_trunc('month', now() at time zone 'UTC') - interval '1 month';
      month timestamp;
    begin
      for i in 0..4 loop
        month := first + make_interval(months => i);
        execute format('create table %I partition of user_activities for values from (%L) to (%L)',
          'user_activities_' || to_char(month, 'YYYY_MM'),
          to_char(month, 'YYYY-MM-DD') || ' 00:00:00+00',
          to_char(month + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00');
      end loop;
    end $$`.execute(db);

  await db.schema
    .createTable("user_metrics")
    .addColumn("user_id", "uuid", (c) => c.notNull())
    .addColumn("day", "text", (c) => c.notNull().check(sql`day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'`))
    .addColumn("login_count", "integer", (c) => c.notNull())
    .addColumn("failed_login_count", "integer", (c) => c.notNull())
    .addColumn("session_count", "integer", (c) => c.notNull())
    .addColumn("session_seconds", "bigint", (c) => c.notNull())
    .addColumn("rpc_count", "integer", (c) => c.notNull())
    .addColumn("rpc_counts_by_feature", "jsonb", (c) => c.notNull())
    .addColumn("error_count", "integer", (c) => c.notNull())
    .addColumn("latency_p50_ms", "real", (c) => c.notNull())
    .addColumn("latency_p95_ms", "real", (c) => c.notNull())
    .addColumn("security_event_count", "integer", (c) => c.notNull())
    .addColumn("ip_addresses", "jsonb", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("user_metrics_pkey", ["user_id", "day"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("user_metrics").execute();
  await db.schema.dropTable("user_activities").execute();
}
