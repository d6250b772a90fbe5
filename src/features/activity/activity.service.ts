import type { Db } from "../../db/database.js";
import { dropMonthlyPartitionsBefore, ensureMonthlyPartitions } from "../../db/partitions.js";
import type { Clock } from "../../platform/clock.js";
import { filterScope, pageOf, readPageToken } from "../../shared/page-token.js";
import type { Principal } from "../../shared/principal.js";
import type { AuditLog } from "../audit/index.js";
import type { ActivityAccess } from "./activity-access.js";
import type { ActivityTypeValue } from "./activity.convert.js";
import { countByType, deleteMetricsBefore, findActivities, findMetrics, upsertMetrics, type ActivityRow } from "./activity.repository.js";
import { dayOf, dayStart, figuresFromRow, figuresOfDay, type DayFigures, type FigureSources } from "./daily-figures.js";

/** PARTITIONS_AHEAD is how many months of activity partitions are kept made ahead of the current one. */
const PARTITIONS_AHEAD = 3;

/** ActivityDeps is what users' activity needs. */
export interface ActivityDeps {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  sessions: FigureSources["sessions"];
  access: ActivityAccess;
  /** How long call records and daily figures are kept (ACTIVITY_RETENTION_DAYS). */
  retentionDays: number;
}

/** ActivityQuery asks for a page of a user's activity. */
export interface ActivityQuery {
  userId: string;
  organizationId?: string;
  activityType?: ActivityTypeValue;
  createdAfter?: Date;
  createdBefore?: Date;
}

/** UserMetrics are a user's figures over a window of days, today included. */
export interface UserMetrics {
  userId: string;
  days: number;
  windowStart: Date;
  daily: DayFigures[];
  activeDays: number;
  distinctIpCount: number;
  lastLoginAt: Date | undefined;
  activityCounts: Array<{ activityType: string; count: number }>;
}

/** UserActivity lists users' recorded calls, sums them per day, and keeps the daily rollup. */
export class UserActivity {
  constructor(private readonly deps: ActivityDeps) {}

  /** list pages through a user's calls, newest first; a page token only continues the same query. */
  async list(caller: Principal, query: ActivityQuery, limit: number, pageToken: string): Promise<{ activities: ActivityRow[]; nextPageToken: string }> {
    const withinOrganization = await this.deps.access.scopeFor(caller, query.userId, query.organizationId);
    const filter = { userId: query.userId, activityType: query.activityType, createdAfter: query.createdAfter, createdBefore: query.createdBefore, withinOrganization };
    const scope = filterScope({ ...filter });
    const rows = await findActivities(this.deps.db, filter, limit + 1, pageToken ? readPageToken(pageToken, scope) : undefined);
    const { page, nextPageToken } = pageOf(rows, limit, (row) => ({ at: row.created_at, id: row.id }), scope);
    return { activities: page, nextPageToken };
  }

  /** metrics are a user's figures for the last `days` UTC days: the rollup's, and today's counted now. */
  async metrics(caller: Principal, userId: string, organizationId: string | undefined, days: number): Promise<UserMetrics> {
    await this.deps.access.scopeFor(caller, userId, organizationId);
    const { db, clock, audit } = this.deps;
    const now = clock.now();
    const today = dayStart(now);
    const windowStart = dayStart(now, -(days - 1));
    const [stored, [live], activityCounts, lastLoginAt] = await Promise.all([
      findMetrics(db, userId, dayOf(windowStart), dayOf(today)),
      figuresOfDay(this.sources(), today, dayStart(now, 1), userId),
      countByType(db, userId, windowStart, dayStart(now, 1)),
      audit.lastAt(db, userId, ["auth.login"]),
    ]);
    const daily = [...stored.map(figuresFromRow), ...(live ? [live] : [])];
    return {
      userId,
      days,
      windowStart,
      daily,
      activeDays: daily.filter((day) => day.rpcCount > 0).length,
      distinctIpCount: new Set(daily.flatMap((day) => day.ipAddresses)).size,
      lastLoginAt,
      activityCounts,
    };
  }

  /**
   * rollUp stores yesterday's and today's figures of every user with any, replacing what an earlier
   * run stored: run hourly, it finishes yesterday after midnight and keeps today's close. Returns
   * how many user-days it stored.
   */
  async rollUp(): Promise<number> {
    const now = this.deps.clock.now();
    let stored = 0;
    for (const offset of [-1, 0]) {
      const figures = await figuresOfDay(this.sources(), dayStart(now, offset), dayStart(now, offset + 1));
      await upsertMetrics(this.deps.db, figures.map((day) => rowOf(day, now)));
      stored += figures.length;
    }
    return stored;
  }

  /** preparePartitions makes the activity partitions of this month and the next ones, those missing. */
  async preparePartitions(): Promise<void> {
    await ensureMonthlyPartitions(this.deps.db, "user_activities", this.deps.clock.now(), PARTITIONS_AHEAD);
  }

  /**
   * maintainPartitions makes the coming months' partitions and drops the months wholly older than
   * the retention period, with the daily figures of those days; it returns the partitions dropped.
   */
  async maintainPartitions(): Promise<string[]> {
    const { db, clock, retentionDays } = this.deps;
    await this.preparePartitions();
    const cutoff = dayStart(clock.now(), -retentionDays);
    const dropped = await dropMonthlyPartitionsBefore(db, "user_activities", cutoff);
    await deleteMetricsBefore(db, dayOf(cutoff));
    return dropped;
  }

  private sources(): FigureSources {
    return { db: this.deps.db, audit: this.deps.audit, sessions: this.deps.sessions };
  }
}

function rowOf(day: DayFigures, now: Date) {
  return {
    user_id: day.userId,
    day: day.day,
    login_count: day.loginCount,
    failed_login_count: day.failedLoginCount,
    session_count: day.sessionCount,
    session_seconds: day.sessionSeconds,
    rpc_count: day.rpcCount,
    rpc_counts_by_feature: JSON.stringify(day.rpcCountsByFeature),
    error_count: day.errorCount,
    latency_p50_ms: day.latencyP50Ms,
    latency_p95_ms: day.latencyP95Ms,
    security_event_count: day.securityEventCount,
    ip_addresses: JSON.stringify(day.ipAddresses),
    updated_at: now,
  };
}
