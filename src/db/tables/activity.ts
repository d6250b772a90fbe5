import type { ColumnType } from "kysely";

/** UserActivitiesTable records every call, partitioned by month of created_at. */
export interface UserActivitiesTable {
  id: string;
  user_id: string | null;
  session_id: string | null;
  organization_id: string | null;
  activity_type: string;
  method: string;
  status_code: string;
  latency_ms: number;
  ip_address: string | null;
  user_agent: string | null;
  request_id: string | null;
  created_at: Date;
}

/** UserMetricsTable holds each user's figures per UTC day, filled by the daily rollup. */
export interface UserMetricsTable {
  user_id: string;
  /** The UTC day, as YYYY-MM-DD. */
  day: ColumnType<string, string, string>;
  login_count: number;
  failed_login_count: number;
  session_count: number;
  session_seconds: ColumnType<string, number, number>;
  rpc_count: number;
  rpc_counts_by_feature: ColumnType<Record<string, number>, string, string>;
  error_count: number;
  latency_p50_ms: number;
  latency_p95_ms: number;
  security_event_count: number;
  ip_addresses: ColumnType<string[], string, string>;
  updated_at: Date;
}
