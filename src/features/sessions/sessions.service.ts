import type { Tx } from "../../db/database.js";
import type { Clock } from "../../platform/clock.js";
import { randomToken, sha256 } from "../../platform/crypto/random.js";
import type { Logger } from "../../platform/logger.js";
import type { RevocationBus } from "../../platform/revocation-bus.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import { insertRefreshToken, insertSession, revokeSession } from "./sessions.repository.js";

/** ClientDevice is what the client says about itself when a session starts. */
export interface ClientDevice {
  deviceId?: string;
  deviceName?: string;
  userAgent?: string;
  appVersion?: string;
}

/** OpenedSession is a new session and its first refresh token (the only time the token exists in clear). */
export interface OpenedSession {
  sessionId: string;
  refreshToken: string;
}

const orNull = (value: string | undefined) => (value ? value : null);

/** Sessions opens and revokes sessions and mints their refresh tokens. */
export class Sessions {
  constructor(
    private readonly clock: Clock,
    private readonly bus: RevocationBus,
    private readonly log: Logger,
    private readonly refreshTokenTtlSeconds: number,
  ) {}

  /** open starts a session for userId inside trx. */
  async open(trx: Tx, userId: string, amr: string[], device: ClientDevice, origin: RequestOrigin): Promise<OpenedSession> {
    const now = this.clock.now();
    const sessionId = await insertSession(trx, {
      userId,
      amr,
      ipAddress: orNull(origin.ipAddress),
      userAgent: orNull(device.userAgent) ?? orNull(origin.userAgent),
      deviceId: orNull(device.deviceId),
      deviceName: orNull(device.deviceName),
      appVersion: orNull(device.appVersion),
      createdAt: now,
      // Sessions live as long as they keep being refreshed; the refresh token bounds idle time.
      expiresAt: new Date(now.getTime() + 365 * 24 * 3600 * 1000),
    });
    return { sessionId, refreshToken: await this.mintRefreshToken(trx, sessionId) };
  }

  /** mintRefreshToken stores the hash of a new refresh token for sessionId and returns the token. */
  async mintRefreshToken(trx: Tx, sessionId: string): Promise<string> {
    const now = this.clock.now();
    const token = randomToken();
    await insertRefreshToken(trx, sessionId, sha256(token), now, new Date(now.getTime() + this.refreshTokenTtlSeconds * 1000));
    return token;
  }

  /** revoke marks the session revoked inside trx; call announceRevoked after the commit. */
  revoke(trx: Tx, sessionId: string, reason: string): Promise<boolean> {
    return revokeSession(trx, sessionId, reason, this.clock.now());
  }

  /**
   * announceRevoked tells every replica to refuse the session's access tokens from now on. The
   * revocation is already committed, so a failed announcement is logged, not thrown: replicas
   * that missed it find the session revoked in the database once their few-second cache lapses.
   */
  async announceRevoked(sessionId: string): Promise<void> {
    await this.bus.publish(sessionId).catch((error: unknown) => this.log.error({ err: error, sessionId }, "could not announce a session revocation"));
  }
}
