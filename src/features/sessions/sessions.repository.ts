import { sql, type Selectable } from "kysely";
import type { DbOrTx, Tx } from "../../db/database.js";
import type { DeviceTypeValue, RiskFactor, SessionsTable } from "../../db/tables/sessions.js";
import type { PagePosition } from "../../shared/page-token.js";

/** NewSession is a session row to insert. */
export interface NewSession {
  userId: string;
  amr: string[];
  ipAddress: string | null;
  userAgent: string | null;
  deviceId: string | null;
  deviceName: string | null;
  appVersion: string | null;
  createdAt: Date;
  expiresAt: Date;
  /** When the sign-in passed a second factor; null for one factor. */
  secondFactorAt: Date | null;
  browser: string | null;
  os: string | null;
  deviceType: DeviceTypeValue | null;
  country: string | null;
  city: string | null;
  latitude: number | null;
  longitude: number | null;
  riskScore: number;
  riskFactors: RiskFactor[];
}

/** insertSession inserts a session and returns its id. */
export async function insertSession(trx: Tx, session: NewSession): Promise<string> {
  const row = await trx
    .insertInto("sessions")
    .values({
      user_id: session.userId,
      amr: session.amr,
      ip_address: session.ipAddress,
      user_agent: session.userAgent,
      device_id: session.deviceId,
      device_name: session.deviceName,
      app_version: session.appVersion,
      created_at: session.createdAt,
      last_seen_at: session.createdAt,
      expires_at: session.expiresAt,
      second_factor_at: session.secondFactorAt,
      browser: session.browser,
      os: session.os,
      device_type: session.deviceType,
      country: session.country,
      city: session.city,
      latitude: session.latitude,
      longitude: session.longitude,
      risk_score: session.riskScore,
      risk_factors: JSON.stringify(session.riskFactors),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** insertRefreshToken stores the hash of a session's new refresh token. */
export async function insertRefreshToken(trx: Tx, sessionId: string, tokenHash: Buffer, createdAt: Date, expiresAt: Date): Promise<void> {
  await trx
    .insertInto("refresh_tokens")
    .values({ session_id: sessionId, token_hash: tokenHash, created_at: createdAt, expires_at: expiresAt })
    .execute();
}

/** RefreshTokenClaim is what presenting a refresh token found. */
export type RefreshTokenClaim =
  | { outcome: "unknown" }
  | { outcome: "reused"; sessionId: string; userId: string }
  | {
      outcome: "claimed";
      sessionId: string;
      userId: string;
      expiresAt: Date;
      sessionExpiresAt: Date;
      sessionLastSeenAt: Date;
      amr: string[];
      sessionRevoked: boolean;
    };

/**
 * claimRefreshToken marks the token used if it was not yet; the conditional update makes two
 * concurrent presentations of one token resolve to one "claimed" and one "reused".
 */
export async function claimRefreshToken(trx: Tx, tokenHash: Buffer, now: Date): Promise<RefreshTokenClaim> {
  const claimed = await trx
    .updateTable("refresh_tokens")
    .set({ used_at: now })
    .where("token_hash", "=", tokenHash)
    .where("used_at", "is", null)
    .returning(["session_id", "expires_at"])
    .executeTakeFirst();
  const session = await trx
    .selectFrom("refresh_tokens")
    .innerJoin("sessions", "sessions.id", "refresh_tokens.session_id")
    .select(["sessions.id", "sessions.user_id", "sessions.amr", "sessions.revoked_at", "sessions.expires_at", "sessions.last_seen_at"])
    .where("refresh_tokens.token_hash", "=", tokenHash)
    .executeTakeFirst();
  if (!session) return { outcome: "unknown" };
  if (!claimed) return { outcome: "reused", sessionId: session.id, userId: session.user_id };
  return {
    outcome: "claimed",
    sessionId: session.id,
    userId: session.user_id,
    expiresAt: claimed.expires_at,
    sessionExpiresAt: session.expires_at,
    sessionLastSeenAt: session.last_seen_at,
    amr: session.amr,
    sessionRevoked: session.revoked_at !== null,
  };
}

/** revokeSession marks a session revoked and returns its user; undefined when it already was (or does not exist). */
export async function revokeSession(trx: Tx, sessionId: string, reason: string, now: Date): Promise<string | undefined> {
  const row = await trx
    .updateTable("sessions")
    .set({ revoked_at: now, revoke_reason: reason })
    .where("id", "=", sessionId)
    .where("revoked_at", "is", null)
    .returning("user_id")
    .executeTakeFirst();
  return row?.user_id;
}

/** revokeSessionsOf marks every live session of the user revoked and returns their ids. */
export async function revokeSessionsOf(trx: Tx, userId: string, reason: string, now: Date): Promise<string[]> {
  const rows = await trx
    .updateTable("sessions")
    .set({ revoked_at: now, revoke_reason: reason })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .where("expires_at", ">", now)
    .returning("id")
    .execute();
  return rows.map((row) => row.id);
}

/** touchSession records that the session was used at now. */
export async function touchSession(db: DbOrTx, sessionId: string, now: Date): Promise<void> {
  await db.updateTable("sessions").set({ last_seen_at: now }).where("id", "=", sessionId).execute();
}

/** SessionRecord is what authenticating a request needs to know of its session. */
export interface SessionRecord {
  userId: string;
  revoked: boolean;
  expiresAt: Date;
}

/** findSession reads a session's owner, revocation and expiry; undefined when there is no such session. */
export async function findSession(db: DbOrTx, sessionId: string): Promise<SessionRecord | undefined> {
  const row = await db.selectFrom("sessions").select(["user_id", "revoked_at", "expires_at"]).where("id", "=", sessionId).executeTakeFirst();
  return row && { userId: row.user_id, revoked: row.revoked_at !== null, expiresAt: row.expires_at };
}

/** DeviceStanding is what a device is to an account: known, and trusted now. */
export interface DeviceStanding {
  /** A session was opened from it: sessions open only on a proven sign-in, so naming a device id is not enough to claim one, knowing the owner's is. */
  known: boolean;
  /** The user trusts it now (TrustDevice): its sign-in may skip the second factor. */
  trusted: boolean;
}

/** findDeviceStanding reads in one query whether the user has had a session opened from deviceId and whether they trust it at now. */
export async function findDeviceStanding(db: DbOrTx, userId: string, deviceId: string, now: Date): Promise<DeviceStanding> {
  const { known, trusted } = await db
    .selectNoFrom((eb) => [
      eb.exists(eb.selectFrom("sessions").select("id").where("user_id", "=", userId).where("device_id", "=", deviceId)).as("known"),
      eb.exists(eb.selectFrom("trusted_devices").select("device_id").where("user_id", "=", userId).where("device_id", "=", deviceId).where("trusted_until", ">", now)).as("trusted"),
    ])
    .executeTakeFirstOrThrow();
  return { known: Boolean(known), trusted: Boolean(trusted) };
}

/** SessionAssurance is how strongly and how recently a session's user proved who they are. */
export interface SessionAssurance {
  createdAt: Date;
  secondFactorAt: Date | null;
}

/** findSessionAssurance reads when a session was opened and when it last passed a second factor. */
export async function findSessionAssurance(db: DbOrTx, sessionId: string): Promise<SessionAssurance | undefined> {
  const row = await db.selectFrom("sessions").select(["created_at", "second_factor_at"]).where("id", "=", sessionId).executeTakeFirst();
  return row && { createdAt: row.created_at, secondFactorAt: row.second_factor_at };
}

/** recordSecondFactor notes that the session's user has just passed a second factor. */
export async function recordSecondFactor(trx: Tx, sessionId: string, at: Date): Promise<void> {
  await trx.updateTable("sessions").set({ second_factor_at: at }).where("id", "=", sessionId).execute();
}

/** SessionRow is a stored session, as ListSessions and the session RPCs read it. */
export type SessionRow = Selectable<SessionsTable> & { trusted: boolean };

/**
 * findLiveSessions lists the user's sessions that are neither revoked, past their lifetime nor
 * idle since idleSince, most recently seen first, limit at a time after the given position, each with whether
 * its device is trusted at now.
 */
export async function findLiveSessions(db: DbOrTx, userId: string, now: Date, idleSince: Date, limit: number, after: PagePosition | undefined): Promise<SessionRow[]> {
  let query = db
    .selectFrom("sessions")
    .selectAll("sessions")
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom("trusted_devices")
            .select("trusted_devices.device_id")
            .whereRef("trusted_devices.user_id", "=", "sessions.user_id")
            .whereRef("trusted_devices.device_id", "=", "sessions.device_id")
            .where("trusted_devices.trusted_until", ">", now),
        )
        .as("trusted"),
    )
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .where("expires_at", ">", now)
    .where("last_seen_at", ">", idleSince);
  if (after) query = query.where(sql<boolean>`(last_seen_at, id) < (${after.at}, ${after.id})`);
  const rows = await query.orderBy("last_seen_at", "desc").orderBy("id", "desc").limit(limit).execute();
  return rows.map((row) => ({ ...row, trusted: Boolean(row.trusted) }));
}

/** findSessionOf reads one of the user's sessions, with its device's trust at now; undefined when the user has no such session. */
export async function findSessionOf(db: DbOrTx, userId: string, sessionId: string, now: Date): Promise<SessionRow | undefined> {
  const row = await db.selectFrom("sessions").selectAll().where("id", "=", sessionId).where("user_id", "=", userId).executeTakeFirst();
  if (!row) return undefined;
  return { ...row, trusted: row.device_id !== null && (await isDeviceTrusted(db, userId, row.device_id, now)) };
}

/** isDeviceTrusted says whether the user trusts the device at now. */
export async function isDeviceTrusted(db: DbOrTx, userId: string, deviceId: string, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom("trusted_devices")
    .select("device_id")
    .where("user_id", "=", userId)
    .where("device_id", "=", deviceId)
    .where("trusted_until", ">", now)
    .executeTakeFirst();
  return row !== undefined;
}

/** trustDevice trusts the user's device from now until until, or renews an earlier trust. */
export async function trustDevice(trx: Tx, userId: string, deviceId: string, now: Date, until: Date): Promise<void> {
  await trx
    .insertInto("trusted_devices")
    .values({ user_id: userId, device_id: deviceId, trusted_at: now, trusted_until: until })
    .onConflict((oc) => oc.columns(["user_id", "device_id"]).doUpdateSet({ trusted_at: now, trusted_until: until }))
    .execute();
}

/** distrustDevice ends the user's trust in the device; false when it was not trusted. */
export async function distrustDevice(trx: Tx, userId: string, deviceId: string): Promise<boolean> {
  const result = await trx.deleteFrom("trusted_devices").where("user_id", "=", userId).where("device_id", "=", deviceId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** SignInHistory is what earlier sessions tell about a user's sign-ins. */
export interface SignInHistory {
  /** Countries the user has signed in from. */
  countries: string[];
  /** The latest sign-in whose place is known. */
  lastPlace: { at: Date; latitude: number; longitude: number } | undefined;
}

/** findSignInHistory reads where the user has signed in from before. */
export async function findSignInHistory(db: DbOrTx, userId: string): Promise<SignInHistory> {
  const [countries, last] = await Promise.all([
    db.selectFrom("sessions").select("country").distinct().where("user_id", "=", userId).where("country", "is not", null).execute(),
    db
      .selectFrom("sessions")
      .select(["created_at", "latitude", "longitude"])
      .where("user_id", "=", userId)
      .where("latitude", "is not", null)
      .where("longitude", "is not", null)
      .orderBy("created_at", "desc")
      .limit(1)
      .executeTakeFirst(),
  ]);
  return {
    countries: countries.map((row) => row.country!),
    lastPlace: last ? { at: last.created_at, latitude: last.latitude!, longitude: last.longitude! } : undefined,
  };
}

/** SignInRecord is one sign-in as the user's behaviour is read from: when, how risky, from which device and country. */
export interface SignInRecord {
  at: Date;
  riskScore: number;
  deviceId: string | null;
  country: string | null;
}

/** findSignInsSince reads the user's sign-ins (sessions opened) since a time, oldest first, at most limit. */
export async function findSignInsSince(db: DbOrTx, userId: string, since: Date, limit: number): Promise<SignInRecord[]> {
  const rows = await db
    .selectFrom("sessions")
    .select(["created_at", "risk_score", "device_id", "country"])
    .where("user_id", "=", userId)
    .where("created_at", ">=", since)
    .orderBy("created_at")
    .limit(limit)
    .execute();
  return rows.map((row) => ({ at: row.created_at, riskScore: row.risk_score, deviceId: row.device_id, country: row.country }));
}

/** SessionTotals are the sessions a user started in a period and how long they lasted in all. */
export interface SessionTotals {
  userId: string;
  sessions: number;
  seconds: number;
}

/**
 * findSessionTotals sums, per user (or for one), the sessions started in [from, to): how many, and
 * how long each lasted, from its start to its revocation, its last refresh or its expiry, whichever
 * came first.
 */
export async function findSessionTotals(db: DbOrTx, from: Date, to: Date, userId?: string): Promise<SessionTotals[]> {
  let query = db
    .selectFrom("sessions")
    .select((eb) => [
      "user_id",
      eb.fn.countAll<string>().as("sessions"),
      sql<string>`coalesce(sum(greatest(0, extract(epoch from least(coalesce(revoked_at, last_seen_at), expires_at) - created_at))), 0)`.as("seconds"),
    ])
    .where("created_at", ">=", from)
    .where("created_at", "<", to)
    .groupBy("user_id");
  if (userId !== undefined) query = query.where("user_id", "=", userId);
  const rows = await query.execute();
  return rows.map((row) => ({ userId: row.user_id, sessions: Number(row.sessions), seconds: Math.round(Number(row.seconds)) }));
}
