import type { DbOrTx } from "../../db/database.js";
import type { AuditLog } from "../audit/index.js";
import type { SessionTotals } from "../sessions/index.js";
import { findCallFigures, type MetricsRow } from "./activity.repository.js";

/** DayFigures are one user's figures for one UTC day. */
export interface DayFigures {
  userId: string;
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  loginCount: number;
  failedLoginCount: number;
  sessionCount: number;
  sessionSeconds: number;
  rpcCount: number;
  rpcCountsByFeature: Record<string, number>;
  errorCount: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  securityEventCount: number;
  ipAddresses: string[];
}

/** The audited actions that are sign-ins, and failed ones (a wrong password or second factor). */
const SIGN_INS = ["auth.login"] as const;
const FAILED_SIGN_INS = ["auth.login_failed", "auth.mfa_failed"] as const;

/** dayOf is the day an instant falls on (UTC), as YYYY-MM-DD. */
export const dayOf = (at: Date): string => at.toISOString().slice(0, 10);

/** dayStart is the first instant of a UTC day `offset` days from the one holding at. */
export const dayStart = (at: Date, offset = 0): Date => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + offset));

/** FigureSources are where the figures come from: each is counted where it is recorded. */
export interface FigureSources {
  db: DbOrTx;
  /** Sign-ins and failed ones, from the audit trail. */
  audit: AuditLog;
  /** Sessions started and how long they lasted. */
  sessions: { totalsBetween(from: Date, to: Date, userId?: string): Promise<SessionTotals[]> };
}

/** figuresOfDay counts the figures of the UTC day [start, until), per user with any of them, or for one user. */
export async function figuresOfDay(sources: FigureSources, start: Date, until: Date, userId?: string): Promise<DayFigures[]> {
  const { db, audit, sessions } = sources;
  const [calls, sessionTotals, signIns, failures] = await Promise.all([
    findCallFigures(db, start, until, userId),
    sessions.totalsBetween(start, until, userId),
    audit.countPerUser(db, SIGN_INS, start, until, userId),
    audit.countPerUser(db, FAILED_SIGN_INS, start, until, userId),
  ]);
  const users = new Set([...calls.map((c) => c.userId), ...sessionTotals.map((s) => s.userId), ...signIns.keys(), ...failures.keys()]);
  const callsOf = new Map(calls.map((c) => [c.userId, c]));
  const sessionsOf = new Map(sessionTotals.map((s) => [s.userId, s]));
  return [...users].map((user) => {
    const call = callsOf.get(user);
    const session = sessionsOf.get(user);
    return {
      userId: user,
      day: dayOf(start),
      loginCount: signIns.get(user) ?? 0,
      failedLoginCount: failures.get(user) ?? 0,
      sessionCount: session?.sessions ?? 0,
      sessionSeconds: session?.seconds ?? 0,
      rpcCount: call?.rpcCount ?? 0,
      rpcCountsByFeature: call?.rpcCountsByFeature ?? {},
      errorCount: call?.errorCount ?? 0,
      latencyP50Ms: call?.latencyP50Ms ?? 0,
      latencyP95Ms: call?.latencyP95Ms ?? 0,
      securityEventCount: call?.securityEventCount ?? 0,
      ipAddresses: call?.ipAddresses ?? [],
    };
  });
}

/** figuresFromRow reads a stored day back. */
export function figuresFromRow(row: MetricsRow): DayFigures {
  return {
    userId: row.user_id,
    day: row.day,
    loginCount: row.login_count,
    failedLoginCount: row.failed_login_count,
    sessionCount: row.session_count,
    sessionSeconds: Number(row.session_seconds),
    rpcCount: row.rpc_count,
    rpcCountsByFeature: row.rpc_counts_by_feature,
    errorCount: row.error_count,
    latencyP50Ms: row.latency_p50_ms,
    latencyP95Ms: row.latency_p95_ms,
    securityEventCount: row.security_event_count,
    ipAddresses: row.ip_addresses,
  };
}
