import { sql, type Insertable, type Selectable } from "kysely";
import type { Db, DbOrTx } from "../../db/database.js";
import type { UserActivitiesTable, UserMetricsTable } from "../../db/tables/activity.js";
import type { PagePosition } from "../../shared/page-token.js";

/** NewActivity is a call record as written. */
export type NewActivity = Insertable<UserActivitiesTable>;

/** ActivityRow is a stored call record. */
export type ActivityRow = Selectable<UserActivitiesTable>;

/** MetricsRow is a stored day of a user's figures. */
export type MetricsRow = Selectable<UserMetricsTable>;

/**
 * insertActivities writes a batch of call records in one statement, each column sent as one array:
 * a dozen parameters whatever the batch's size, where a row of values each would send thousands.
 */
export async function insertActivities(db: Db, records: NewActivity[]): Promise<void> {
  const column = <K extends keyof NewActivity>(key: K) => records.map((record) => record[key] ?? null);
  await sql`insert into user_activities
      (id, user_id, session_id, organization_id, activity_type, method, status_code, latency_ms, ip_address, user_agent, request_id, created_at)
    select * from unnest(
      ${column("id")}::uuid[], ${column("user_id")}::uuid[], ${column("session_id")}::uuid[], ${column("organization_id")}::uuid[],
      ${column("activity_type")}::text[], ${column("method")}::text[], ${column("status_code")}::text[], ${column("latency_ms")}::real[],
      ${column("ip_address")}::text[], ${column("user_agent")}::text[], ${column("request_id")}::text[], ${column("created_at")}::timestamptz[])`.execute(db);
}

/** ActivityFilter selects one user's call records. */
export interface ActivityFilter {
  userId: string;
  activityType?: string;
  createdAfter?: Date;
  createdBefore?: Date;
  /** Leaves out the calls that named another organization than this one. */
  withinOrganization?: string;
}

/** findActivities lists a user's call records, newest first, after a page position. */
export function findActivities(db: DbOrTx, filter: ActivityFilter, limit: number, after: PagePosition | undefined): Promise<ActivityRow[]> {
  let query = db.selectFrom("user_activities").selectAll().where("user_id", "=", filter.userId);
  if (filter.activityType !== undefined) query = query.where("activity_type", "=", filter.activityType);
  if (filter.createdAfter !== undefined) query = query.where("created_at", ">=", filter.createdAfter);
  if (filter.createdBefore !== undefined) query = query.where("created_at", "<", filter.createdBefore);
  const organizationId = filter.withinOrganization;
  if (organizationId !== undefined) query = query.where((eb) => eb.or([eb("organization_id", "is", null), eb("organization_id", "=", organizationId)]));
  if (after) query = query.where((eb) => eb(eb.refTuple("created_at", "id"), "<", eb.tuple(after.at, after.id)));
  return query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
}

/** CallFigures are a user's call figures over a period. */
export interface CallFigures {
  userId: string;
  rpcCount: number;
  errorCount: number;
  securityEventCount: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  ipAddresses: string[];
  rpcCountsByFeature: Record<string, number>;
}

/** findCallFigures sums the calls of [from, to) per user (or for one): counts, errors, latency percentiles, addresses, calls per service. */
export async function findCallFigures(db: DbOrTx, from: Date, to: Date, userId?: string): Promise<CallFigures[]> {
  const inPeriod = sql`created_at >= ${from} and created_at < ${to} and user_id is not null ${userId === undefined ? sql`` : sql`and user_id = ${userId}`}`;
  const { rows } = await sql<{
    user_id: string;
    rpc_count: string;
    error_count: string;
    security_event_count: string;
    p50: number;
    p95: number;
    ips: string[] | null;
    features: Record<string, number>;
  }>`
    with calls as (select * from user_activities where ${inPeriod}),
    per_feature as (
      select user_id, jsonb_object_agg(feature, n) as features
      from (select user_id, split_part(method, '/', 1) as feature, count(*) as n from calls group by 1, 2) f
      group by user_id
    )
    select c.user_id,
      count(*) as rpc_count,
      count(*) filter (where c.status_code <> 'OK') as error_count,
      count(*) filter (where c.activity_type = 'security_event') as security_event_count,
      percentile_cont(0.5) within group (order by c.latency_ms) as p50,
      percentile_cont(0.95) within group (order by c.latency_ms) as p95,
      jsonb_agg(distinct c.ip_address) filter (where c.ip_address is not null) as ips,
      f.features
    from calls c join per_feature f on f.user_id = c.user_id
    group by c.user_id, f.features`.execute(db);
  return rows.map((row) => ({
    userId: row.user_id,
    rpcCount: Number(row.rpc_count),
    errorCount: Number(row.error_count),
    securityEventCount: Number(row.security_event_count),
    latencyP50Ms: Number(row.p50),
    latencyP95Ms: Number(row.p95),
    ipAddresses: row.ips ?? [],
    rpcCountsByFeature: row.features,
  }));
}

/** upsertMetrics writes days of users' figures, replacing what an earlier rollup wrote for the same days. */
export async function upsertMetrics(db: DbOrTx, rows: Array<Omit<MetricsRow, "rpc_counts_by_feature" | "ip_addresses" | "session_seconds"> & { rpc_counts_by_feature: string; ip_addresses: string; session_seconds: number }>): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto("user_metrics")
    .values(rows)
    .onConflict((oc) =>
      oc.columns(["user_id", "day"]).doUpdateSet((eb) => ({
        login_count: eb.ref("excluded.login_count"),
        failed_login_count: eb.ref("excluded.failed_login_count"),
        session_count: eb.ref("excluded.session_count"),
        session_seconds: eb.ref("excluded.session_seconds"),
        rpc_count: eb.ref("excluded.rpc_count"),
        rpc_counts_by_feature: eb.ref("excluded.rpc_counts_by_feature"),
        error_count: eb.ref("excluded.error_count"),
        latency_p50_ms: eb.ref("excluded.latency_p50_ms"),
        latency_p95_ms: eb.ref("excluded.latency_p95_ms"),
        security_event_count: eb.ref("excluded.security_event_count"),
        ip_addresses: eb.ref("excluded.ip_addresses"),
        updated_at: eb.ref("excluded.updated_at"),
      })),
    )
    .execute();
}

/** findMetrics reads a user's stored days in [fromDay, toDay), oldest first. */
export function findMetrics(db: DbOrTx, userId: string, fromDay: string, toDay: string): Promise<MetricsRow[]> {
  return db.selectFrom("user_metrics").selectAll().where("user_id", "=", userId).where("day", ">=", fromDay).where("day", "<", toDay).orderBy("day").execute();
}

/** countByType counts a user's calls in [from, to) by activity type. */
export async function countByType(db: DbOrTx, userId: string, from: Date, to: Date): Promise<Array<{ activityType: string; count: number }>> {
  const rows = await db
    .selectFrom("user_activities")
    .select((eb) => ["activity_type", eb.fn.countAll<string>().as("count")])
    .where("user_id", "=", userId)
    .where("created_at", ">=", from)
    .where("created_at", "<", to)
    .groupBy("activity_type")
    .orderBy("activity_type")
    .execute();
  return rows.map((row) => ({ activityType: row.activity_type, count: Number(row.count) }));
}

/** deleteMetricsBefore deletes the daily figures of the days before a day. */
export async function deleteMetricsBefore(db: DbOrTx, day: string): Promise<void> {
  await db.deleteFrom("user_metrics").where("day", "<", day).execute();
}
