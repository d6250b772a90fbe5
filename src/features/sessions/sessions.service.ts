import type { Db, Tx } from "../../db/database.js";
import { afterCommit, transaction } from "../../db/transaction.js";
import { queueRiskScoring } from "../../jobs/outbox.js";
import type { Clock } from "../../platform/clock.js";
import type { AccessTokens } from "../../platform/crypto/access-tokens.js";
import { randomToken, sha256 } from "../../platform/crypto/random.js";
import type { Cache } from "../../platform/cache.js";
import type { GeoIp } from "../../platform/geoip.js";
import type { Logger } from "../../platform/logger.js";
import { describeClient } from "../../platform/user-agent.js";
import type { RiskFactor } from "../../db/tables/sessions.js";
import type { RevocationBus } from "../../platform/revocation-bus.js";
import type { Principal } from "../../shared/principal.js";
import { pageOf, readPageToken } from "../../shared/page-token.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import { mayUseAccount } from "../../shared/user-status.js";
import type { AuditLog } from "../audit/index.js";
import { findAccountStatus } from "../profile/index.js";
import * as errors from "./sessions.errors.js";
import type { SessionAnomalies } from "./session-anomalies.js";
import {
  claimRefreshToken,
  distrustDevice,
  findLiveSessions,
  findSessionAssurance,
  findSessionOf,
  findSessionTotals,
  findDeviceStanding,
  findSignInsSince,
  trustDevice,
  type DeviceStanding,
  type SessionRow,
  insertRefreshToken,
  insertSession,
  recordSecondFactor,
  revokeSession,
  revokeSessionsOf,
  touchSession,
  type SessionAssurance,
  type SessionTotals,
  type SignInRecord,
} from "./sessions.repository.js";

/** ClientDevice is what the client says about itself when a session starts. */
export interface ClientDevice {
  deviceId?: string;
  deviceName?: string;
  userAgent?: string;
  appVersion?: string;
}

/** SessionGrant is a proven sign-in: whose session to open, with which authentication methods, for which client. */
export interface SessionGrant {
  userId: string;
  /** Authentication methods the sign-in proved (RFC 8176 values such as "pwd", "fed", "otp"). */
  amr: string[];
  device: ClientDevice;
  origin: RequestOrigin;
  /** How risky the sign-in looked; none scored: 0. */
  risk?: { score: number; factors: RiskFactor[] };
}

/** IssuedTokens is a session's credential set: the only time its refresh token exists in clear. */
export interface IssuedTokens {
  userId: string;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
}

/** SessionsDependencies are what Sessions needs to open, refresh and revoke sessions. */
export interface SessionsDependencies {
  db: Db;
  clock: Clock;
  accessTokens: AccessTokens;
  audit: AuditLog;
  bus: RevocationBus;
  log: Logger;
  geoip: GeoIp;
  /** Holds the first pages of session lists. */
  cache: Cache;
  refreshTokenTtlSeconds: number;
  /** A session not refreshed for this long ends. */
  idleTimeoutSeconds: number;
  /** A session ends this long after it opened. */
  maxLifetimeSeconds: number;
  /** How long TrustDevice trusts a device. */
  trustedDeviceSeconds: number;
  /** Counts refresh tokens presented again. */
  anomalies: SessionAnomalies;
}

const orNull = (value: string | undefined) => (value ? value : null);

/** SessionView is a live session as ListSessions shows it. */
export type SessionView = SessionRow & { idleExpiresAt: Date };

/** LIST_CACHE_TTL_SECONDS bounds how long a cached first page lives, changes or not. */
const LIST_CACHE_TTL_SECONDS = 30;

const listKey = (userId: string, limit: number) => `sessions:v1:${userId}:${limit}`;
const listGenerationKey = (userId: string) => `sessions-generation:v1:${userId}`;

/** readCachedRows revives the session rows of a cached page, dates included. */
function readCachedRows(json: string): SessionRow[] {
  const at = (value: string | null) => (value === null ? null : new Date(value));
  return (JSON.parse(json) as Array<Record<string, unknown>>).map((row) => ({
    ...(row as unknown as SessionRow),
    created_at: new Date(row.created_at as string),
    last_seen_at: new Date(row.last_seen_at as string),
    expires_at: new Date(row.expires_at as string),
    revoked_at: at(row.revoked_at as string | null),
    second_factor_at: at(row.second_factor_at as string | null),
  }));
}

/** SECOND_FACTOR_METHODS are the RFC 8176 amr values that prove a second factor. */
const SECOND_FACTOR_METHODS: ReadonlySet<string> = new Set(["otp", "sms"]);

/**
 * Sessions issues credentials: every way of signing in (password, identity provider, and the
 * second factor, passkeys and password resets to come) ends in open or signIn. Refresh rotation,
 * reuse detection and revocation live beside them.
 */
export class Sessions {
  constructor(private readonly deps: SessionsDependencies) {}

  /** totalsBetween sums the sessions each user (or one) started in [from, to) and how long they lasted. */
  totalsBetween(from: Date, to: Date, userId?: string): Promise<SessionTotals[]> {
    return findSessionTotals(this.deps.db, from, to, userId);
  }

  /** open starts a session for a proven sign-in inside trx and issues its token set. */
  async open(trx: Tx, grant: SessionGrant): Promise<IssuedTokens> {
    const { clock, geoip, maxLifetimeSeconds } = this.deps;
    const { userId, amr, device, origin, risk } = grant;
    const now = clock.now();
    const userAgent = orNull(device.userAgent) ?? orNull(origin.userAgent);
    const client = describeClient(userAgent ?? undefined);
    const place = geoip.locate(origin.ipAddress);
    const sessionId = await insertSession(trx, {
      userId,
      amr,
      ipAddress: orNull(origin.ipAddress),
      userAgent,
      deviceId: orNull(device.deviceId),
      deviceName: orNull(device.deviceName),
      appVersion: orNull(device.appVersion),
      createdAt: now,
      expiresAt: new Date(now.getTime() + maxLifetimeSeconds * 1000),
      secondFactorAt: amr.some((method) => SECOND_FACTOR_METHODS.has(method)) ? now : null,
      browser: client.browser ?? null,
      os: client.os ?? null,
      deviceType: client.deviceType ?? null,
      country: place?.country ?? null,
      city: place?.city ?? null,
      latitude: place?.latitude ?? null,
      longitude: place?.longitude ?? null,
      riskScore: risk?.score ?? 0,
      riskFactors: risk?.factors ?? [],
    });
    const refreshToken = await this.mintRefreshToken(trx, sessionId);
    this.listChanged(trx, userId);
    return this.issue(userId, sessionId, refreshToken, amr);
  }

  /** signIn opens a session for a proven sign-in in a transaction of its own, recorded in the audit trail. */
  signIn(grant: SessionGrant): Promise<IssuedTokens> {
    return transaction(this.deps.db, (trx) => this.signInWithin(trx, grant));
  }

  /** signInWithin opens a session for a proven sign-in inside trx, recorded in the audit trail (the second factor's completion shares its transaction). */
  async signInWithin(trx: Tx, grant: SessionGrant): Promise<IssuedTokens> {
    const tokens = await this.open(trx, grant);
    // Every sign-in moves the user's risk: their behaviour and the sign-in's own score.
    await queueRiskScoring(trx, grant.userId);
    await this.deps.audit.record(trx, {
      actorUserId: grant.userId,
      action: "auth.login",
      resourceType: "session",
      resourceId: tokens.sessionId,
      newValues: { userId: grant.userId, amr: grant.amr },
      origin: grant.origin,
    });
    return tokens;
  }

  /**
   * refresh spends a refresh token for a new set. A token presented twice means it leaked: the whole
   * session is revoked, recorded, and announced to every replica, and the caller is refused.
   */
  async refresh(refreshToken: string, origin: RequestOrigin): Promise<IssuedTokens> {
    const { db, clock, audit } = this.deps;
    const now = clock.now();
    // The transaction commits a reuse's revocation even though the call is refused: it returns
    // undefined instead of throwing, and the refusal is thrown after the commit.
    const rotated = await transaction(db, async (trx) => {
      const claim = await claimRefreshToken(trx, sha256(refreshToken), now);
      if (claim.outcome === "unknown") return undefined;
      if (claim.outcome === "reused") {
        this.deps.anomalies.seen("refresh_token_reuse");
        if (await this.revoke(trx, claim.sessionId, "refresh_token_reuse")) {
          await audit.record(trx, {
            actorUserId: null,
            action: "auth.refresh_token_reuse",
            resourceType: "session",
            resourceId: claim.sessionId,
            newValues: { userId: claim.userId, revoked: true },
            reason: "a spent refresh token was presented again",
            origin,
            complianceRelevant: true,
          });
        }
        return undefined;
      }
      const spent = claim.sessionRevoked || claim.expiresAt <= now || claim.sessionExpiresAt <= now;
      if (spent) return undefined;
      if (claim.sessionLastSeenAt.getTime() + this.deps.idleTimeoutSeconds * 1000 <= now.getTime()) {
        await this.revoke(trx, claim.sessionId, "idle_timeout");
        return undefined;
      }
      const status = await findAccountStatus(trx, claim.userId);
      if (!status || !mayUseAccount(status)) return undefined;
      const next = await this.mintRefreshToken(trx, claim.sessionId);
      await touchSession(trx, claim.sessionId, now);
      this.listChanged(trx, claim.userId);
      await audit.record(trx, { actorUserId: claim.userId, action: "auth.token_refresh", resourceType: "session", resourceId: claim.sessionId, origin });
      return { userId: claim.userId, sessionId: claim.sessionId, refreshToken: next, amr: claim.amr };
    });
    if (!rotated) throw errors.invalidRefreshToken();
    return this.issue(rotated.userId, rotated.sessionId, rotated.refreshToken, rotated.amr);
  }

  /** signOut revokes the caller's session everywhere, recorded in the audit trail. */
  async signOut(caller: Principal, origin: RequestOrigin): Promise<void> {
    const { db, audit } = this.deps;
    await transaction(db, async (trx) => {
      if (!(await this.revoke(trx, caller.sessionId, "logout"))) return;
      await audit.record(trx, {
        actorUserId: caller.userId,
        action: "auth.logout",
        resourceType: "session",
        resourceId: caller.sessionId,
        newValues: { revoked: true },
        origin,
      });
    });
  }

  /**
   * revoke marks the session revoked inside trx and, once trx commits, tells every replica to
   * refuse its access tokens. False when it already was revoked (or does not exist).
   */
  async revoke(trx: Tx, sessionId: string, reason: string): Promise<boolean> {
    const userId = await revokeSession(trx, sessionId, reason, this.deps.clock.now());
    if (!userId) return false;
    afterCommit(trx, () => this.announceRevoked(sessionId));
    this.listChanged(trx, userId);
    return true;
  }

  /**
   * revokeAllOf revokes every live session of the user inside trx and, once trx commits, tells
   * every replica to refuse their access tokens. It returns how many it revoked.
   */
  async revokeAllOf(trx: Tx, userId: string, reason: string): Promise<number> {
    const sessionIds = await revokeSessionsOf(trx, userId, reason, this.deps.clock.now());
    afterCommit(trx, async () => {
      await Promise.all(sessionIds.map((sessionId) => this.announceRevoked(sessionId)));
    });
    this.listChanged(trx, userId);
    return sessionIds.length;
  }

  /**
   * list pages through the user's live sessions, most recently seen first: not revoked, not past their lifetime,
   * not idle past the timeout. The page token is the position after the page's last session.
   */
  async list(userId: string, limit: number, pageToken: string): Promise<{ sessions: SessionView[]; nextPageToken: string }> {
    const { db, clock, cache, idleTimeoutSeconds } = this.deps;
    const now = clock.now();
    const idleSince = new Date(now.getTime() - idleTimeoutSeconds * 1000);
    const live = (row: SessionRow) => row.expires_at > now && row.last_seen_at > idleSince;
    // First pages are what clients ask for again and again: they are cached until the user's
    // sessions change (listChanged), and served only while every cached session is still live.
    const firstPage = pageToken === "";
    const { generation, value } = firstPage ? await cache.getCurrent(listGenerationKey(userId), listKey(userId, limit)) : { generation: 0, value: undefined };
    const cached = value === undefined ? undefined : readCachedRows(value);
    const rows =
      cached && cached.every(live)
        ? cached
        : await findLiveSessions(db, userId, now, idleSince, limit + 1, firstPage ? undefined : readPageToken(pageToken));
    if (firstPage && rows !== cached) await cache.put(listKey(userId, limit), JSON.stringify(rows), generation, LIST_CACHE_TTL_SECONDS);
    const { page, nextPageToken } = pageOf(rows, limit, (row) => ({ at: row.last_seen_at, id: row.id }));
    return { sessions: page.map((row) => this.view(row)), nextPageToken };
  }

  /**
   * revokeOwn revokes one of the caller's sessions, everywhere, and ends the trust in its device:
   * revoking a lost phone's session must not leave the phone able to skip the second factor.
   * Another user's session, a revoked one or none is NOT_FOUND, and nothing happens.
   */
  async revokeOwn(caller: Principal, sessionId: string, origin: RequestOrigin): Promise<void> {
    const { db, clock, audit } = this.deps;
    await transaction(db, async (trx) => {
      const session = await findSessionOf(trx, caller.userId, sessionId, clock.now());
      if (!session || !(await this.revoke(trx, sessionId, sessionId === caller.sessionId ? "logout" : "revoked_by_user"))) throw errors.sessionNotFound();
      const distrusted = session.device_id !== null && (await distrustDevice(trx, caller.userId, session.device_id));
      await audit.record(trx, {
        actorUserId: caller.userId,
        action: "session.revoke",
        resourceType: "session",
        resourceId: sessionId,
        newValues: { revoked: true, deviceDistrusted: distrusted },
        origin,
      });
    });
  }

  /**
   * trustDevice trusts (or stops trusting) the device one of the caller's sessions signed in from,
   * for the configured period: the next sign-in from it may skip the second factor. It answers the
   * session as it then stands.
   */
  async trustDevice(caller: Principal, sessionId: string, trusted: boolean, origin: RequestOrigin): Promise<SessionView> {
    const { db, clock, audit, trustedDeviceSeconds } = this.deps;
    const now = clock.now();
    await transaction(db, async (trx) => {
      const session = await findSessionOf(trx, caller.userId, sessionId, now);
      if (!session || session.revoked_at !== null) throw errors.sessionNotFound();
      if (!session.device_id) throw errors.deviceIdMissing();
      const until = new Date(now.getTime() + trustedDeviceSeconds * 1000);
      if (trusted) await trustDevice(trx, caller.userId, session.device_id, now, until);
      else await distrustDevice(trx, caller.userId, session.device_id);
      this.listChanged(trx, caller.userId);
      await audit.record(trx, {
        actorUserId: caller.userId,
        action: trusted ? "device.trust" : "device.distrust",
        resourceType: "session",
        resourceId: sessionId,
        newValues: trusted ? { trustedUntil: until.toISOString() } : { trusted: false },
        origin,
        complianceRelevant: true,
      });
    });
    return this.view((await findSessionOf(db, caller.userId, sessionId, now))!);
  }

  /**
   * listChanged makes the user's cached session lists stale once trx commits. A cache that cannot
   * be told is logged, not thrown: the change itself is committed, the lists live 30 seconds, and
   * a cache that misses this is one that reads fail on too.
   */
  private listChanged(trx: Tx, userId: string): void {
    afterCommit(trx, () =>
      this.deps.cache.bump(listGenerationKey(userId)).catch((error: unknown) => this.deps.log.warn({ err: error, userId }, "could not mark cached session lists stale")),
    );
  }

  /** view adds to a session row when it ends if left idle: the idle timeout from its last refresh, within its lifetime. */
  private view(row: SessionRow): SessionView {
    const idleEnd = row.last_seen_at.getTime() + this.deps.idleTimeoutSeconds * 1000;
    return { ...row, idleExpiresAt: new Date(Math.min(idleEnd, row.expires_at.getTime())) };
  }

  /** signInsSince lists the user's sign-ins since a time, oldest first (at most 1,000): what their behaviour is read from. */
  signInsSince(userId: string, since: Date): Promise<SignInRecord[]> {
    return findSignInsSince(this.deps.db, userId, since, 1_000);
  }

  /** assurance says when the session was opened and when it last passed a second factor; undefined for no such session. */
  assurance(sessionId: string): Promise<SessionAssurance | undefined> {
    return findSessionAssurance(this.deps.db, sessionId);
  }

  /**
   * standingChanged tells every replica, once trx commits, that what the user may do changed (their
   * status), so sessions they hold as good read it again at once instead of after their cache lapses.
   */
  standingChanged(trx: Tx, userId: string): void {
    afterCommit(trx, () =>
      this.deps.bus.publishUserChanged(userId).catch((error: unknown) => this.deps.log.error({ err: error, userId }, "could not announce a change of a user's standing")),
    );
  }

  /** recordSecondFactor notes inside trx that the session's user has just passed a second factor. */
  recordSecondFactor(trx: Tx, sessionId: string): Promise<void> {
    return recordSecondFactor(trx, sessionId, this.deps.clock.now());
  }

  /** deviceStanding says whether the user knows and trusts the device a sign-in names; a sign-in that names none comes from an unknown device. */
  deviceStanding(userId: string, deviceId: string | undefined): Promise<DeviceStanding> {
    return deviceId ? findDeviceStanding(this.deps.db, userId, deviceId, this.deps.clock.now()) : Promise.resolve({ known: false, trusted: false });
  }

  // The revocation is committed, so a failed announcement is logged, not thrown: replicas that
  // missed it find the session revoked in the database once their few-second cache lapses.
  private async announceRevoked(sessionId: string): Promise<void> {
    await this.deps.bus.publish(sessionId).catch((error: unknown) => this.deps.log.error({ err: error, sessionId }, "could not announce a session revocation"));
  }

  private async mintRefreshToken(trx: Tx, sessionId: string): Promise<string> {
    const now = this.deps.clock.now();
    const token = randomToken();
    await insertRefreshToken(trx, sessionId, sha256(token), now, new Date(now.getTime() + this.deps.refreshTokenTtlSeconds * 1000));
    return token;
  }

  private async issue(userId: string, sessionId: string, refreshToken: string, amr: string[]): Promise<IssuedTokens> {
    const { accessTokens, clock } = this.deps;
    const accessToken = await accessTokens.issue(userId, sessionId, amr, clock.now());
    return { userId, sessionId, accessToken, refreshToken, expiresIn: accessTokens.ttlSeconds };
  }
}
