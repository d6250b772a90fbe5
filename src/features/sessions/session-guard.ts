import type { Db } from "../../db/database.js";
import type { Clock } from "../../platform/clock.js";
import type { AccessTokenClaims, AccessTokens } from "../../platform/crypto/access-tokens.js";
import type { RevocationBus } from "../../platform/revocation-bus.js";
import { DomainError } from "../../shared/domain-error.js";
import type { PlatformRole, Principal } from "../../shared/principal.js";
import { mayUseAccount } from "../../shared/user-status.js";
import { platformRolesOf } from "../platform-roles/index.js";
import { findAccountStatus } from "../profile/index.js";
import { findSession } from "./sessions.repository.js";

type Standing = { revoked: true; until: number } | { revoked: false; until: number; userId: string; platformRoles: PlatformRole[] };

const MAX_CACHED_SESSIONS = 50_000;
const MAX_CACHED_TOKENS = 10_000;

const refused = (reason: string) => new DomainError("unauthenticated", reason, "the access token is not valid");

/**
 * SessionGuard turns a bearer token into a Principal. Besides the token's signature and expiry it
 * checks that its session is not revoked and the account may sign in. Session standing is cached
 * per replica for a few seconds; a revocation, or a change of the account's status or platform
 * roles, evicts it on every replica at once through the revocation bus, and while the bus may be
 * missing messages nothing is cached at all.
 */
export class SessionGuard {
  private readonly standings = new Map<string, Standing>();
  // Signature checks are the costliest step of a call; a token's bytes verify the same every time.
  private readonly verifiedTokens = new Map<string, AccessTokenClaims>();
  private busReliable = false;
  // Bumped whenever the bus's reliability changes or a user's standing changes: a standing read
  // across either may be stale, so it is used but not cached.
  private epoch = 0;

  constructor(
    private readonly db: Db,
    private readonly tokens: AccessTokens,
    private readonly bus: RevocationBus,
    private readonly clock: Clock,
    private readonly cacheMs = 5_000,
  ) {}

  /** start subscribes to revocations; call once before serving. */
  start(): Promise<void> {
    return this.bus.subscribe({
      sessionRevoked: (sessionId) => this.remember(sessionId, { revoked: true, until: this.nowMs() + this.tokens.ttlSeconds * 1000 }),
      userChanged: (userId) => this.forgetUser(userId),
      reliabilityChanged: (reliable) => {
        if (reliable === this.busReliable) return;
        this.busReliable = reliable;
        this.epoch++;
        if (!reliable) this.standings.clear();
      },
    });
  }

  /** authenticate verifies the bearer token and its session; it throws an unauthenticated DomainError. */
  async authenticate(bearer: string): Promise<Principal> {
    const claims = await this.verifiedClaims(bearer);
    const standing = await this.standing(claims.sessionId, claims.userId);
    if (standing.revoked) throw refused("session_revoked");
    if (standing.userId !== claims.userId) throw refused("invalid_token");
    return { userId: claims.userId, sessionId: claims.sessionId, amr: claims.amr, platformRoles: standing.platformRoles };
  }

  private async verifiedClaims(bearer: string): Promise<AccessTokenClaims> {
    const now = this.clock.now();
    const cached = this.verifiedTokens.get(bearer);
    if (cached && cached.expiresAt > now) return cached;
    const claims = await this.tokens.verify(bearer, now).catch(() => {
      throw refused("invalid_token");
    });
    if (this.verifiedTokens.size >= MAX_CACHED_TOKENS) this.verifiedTokens.delete(this.verifiedTokens.keys().next().value!);
    this.verifiedTokens.set(bearer, claims);
    return claims;
  }

  // The session, its account's status and its platform roles are read at once: each belongs to its
  // own feature, and the token names the account the session must belong to.
  private async standing(sessionId: string, userId: string): Promise<Standing> {
    const cached = this.standings.get(sessionId);
    if (cached && cached.until > this.nowMs()) return cached;
    const epoch = this.epoch;
    const [session, status, platformRoles] = await Promise.all([findSession(this.db, sessionId), findAccountStatus(this.db, userId), platformRolesOf(this.db, userId)]);
    const now = this.nowMs();
    const usable = session && !session.revoked && session.expiresAt.getTime() > now && status !== undefined && mayUseAccount(status);
    const standing: Standing = usable
      ? { revoked: false, until: now + this.cacheMs, userId: session.userId, platformRoles }
      : { revoked: true, until: now + this.cacheMs };
    // A revocation announced while the query ran wins over what the query read.
    const current = this.standings.get(sessionId);
    const trustworthy = this.busReliable && epoch === this.epoch;
    if (trustworthy && !(current?.revoked && current.until > now)) this.remember(sessionId, standing);
    return standing;
  }

  // Rare (an operator's change), so a scan of the cache is cheaper than an index kept on every call.
  private forgetUser(userId: string): void {
    this.epoch++;
    for (const [sessionId, standing] of this.standings) {
      if (!standing.revoked && standing.userId === userId) this.standings.delete(sessionId);
    }
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }

  private remember(sessionId: string, standing: Standing): void {
    this.standings.delete(sessionId);
    if (this.standings.size >= MAX_CACHED_SESSIONS) {
      const oldest = this.standings.keys().next().value;
      if (oldest !== undefined) this.standings.delete(oldest);
    }
    this.standings.set(sessionId, standing);
  }
}
