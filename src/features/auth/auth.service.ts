import type { IdentityProviderName } from "../../config.js";
import type { Db } from "../../db/database.js";
import { isUniqueViolation } from "../../db/errors.js";
import type { InvestmentProfileValue, RegistrationTypeValue, RiskToleranceValue, VerificationStatusValue } from "../../db/tables/users.js";
import { enqueue, queues } from "../../jobs/outbox.js";
import type { Clock } from "../../platform/clock.js";
import type { AccessTokens } from "../../platform/crypto/access-tokens.js";
import { passwordProblem, type PasswordHasher } from "../../platform/crypto/passwords.js";
import { isDisposableEmail } from "../../platform/disposable-email.js";
import { sha256 } from "../../platform/crypto/random.js";
import { IdentityTokenRejected, type IdentityTokens, type VerifiedIdentity } from "../../platform/identity-tokens.js";
import type { Limiter } from "../../platform/rate-limits.js";
import type { Principal } from "../../shared/principal.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import { mayUseAccount } from "../../shared/user-status.js";
import type { AuditLog } from "../audit/index.js";
import type { ProfileService } from "../profile/index.js";
import { claimRefreshToken, touchSession, type ClientDevice, type Sessions } from "../sessions/index.js";
import * as errors from "./auth.errors.js";
import { findOidcLogin, findPasswordLogin, insertOidcCredential, insertPasswordCredential } from "./auth.repository.js";
import type { SignInAttempt, SignInThrottle } from "./sign-in-throttle.js";

/** Registration is a validated sign-up request. */
export interface Registration {
  email: string;
  password: string;
  /** fullName is already normalised (normalizeHumanName). */
  fullName: string;
  registrationType: RegistrationTypeValue;
  investmentProfile: InvestmentProfileValue;
  riskTolerance: RiskToleranceValue;
  idToken: string;
  organizationInviteToken: string;
  device: ClientDevice;
}

/** IssuedTokens is a session's credential set. */
export interface IssuedTokens {
  userId: string;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface AuthLimits {
  registrationsPerIp: Limiter;
}

export interface AuthDependencies {
  db: Db;
  clock: Clock;
  passwords: PasswordHasher;
  identityTokens: IdentityTokens;
  accessTokens: AccessTokens;
  sessions: Sessions;
  profiles: ProfileService;
  audit: AuditLog;
  limits: AuthLimits;
  signIns: SignInThrottle;
}

const PROVIDERS: Record<Exclude<RegistrationTypeValue, "email">, IdentityProviderName> = {
  google: "GOOGLE",
  apple: "APPLE",
  enterprise: "ENTERPRISE",
};

/** normalizeEmail is how e-mail addresses are stored and looked up: trimmed and lower-cased. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** refuseWeakEmailRegistration applies the password policy and refuses throwaway-mail addresses. */
function refuseWeakEmailRegistration(input: Registration): void {
  const email = normalizeEmail(input.email);
  // A trading account must reach its owner; identity-provider accounts were verified by the provider.
  if (isDisposableEmail(email)) throw errors.disposableEmail();
  const problem = passwordProblem(input.password, [email, input.fullName]);
  if (problem) throw errors.weakPassword(problem);
}

/** AuthService registers users, signs them in and out, and rotates their refresh tokens. */
export class AuthService {
  constructor(private readonly deps: AuthDependencies) {}

  /**
   * register creates the user, its credential and first session, an audit row and an
   * identity-verification job, all in one transaction.
   */
  async register(input: Registration, origin: RequestOrigin): Promise<IssuedTokens & { verificationStatus: VerificationStatusValue }> {
    const { db, clock, audit, sessions, profiles } = this.deps;
    if (input.organizationInviteToken) throw errors.invitationsUnavailable();
    if (input.registrationType === "email") refuseWeakEmailRegistration(input);
    // Counted after the cheap checks, so fixing a weak password costs nothing; before the costly ones.
    await this.deps.limits.registrationsPerIp.consume(origin.ipAddress ?? "unknown");
    const { email, credential } = await this.proveIdentity(input);
    const amr = input.registrationType === "email" ? ["pwd"] : ["fed"];
    try {
      const opened = await db.transaction().execute(async (trx) => {
        const userId = await profiles.createUser(trx, {
          email,
          fullName: input.fullName,
          status: "pending_verification",
          verificationStatus: "pending",
          registrationType: input.registrationType,
          investmentProfile: input.investmentProfile,
          riskTolerance: input.riskTolerance,
          createdAt: clock.now(),
        });
        if (credential.kind === "password") await insertPasswordCredential(trx, userId, credential.hash);
        else await insertOidcCredential(trx, userId, credential.identity.issuer, credential.identity.subject);
        const session = await sessions.open(trx, userId, amr, input.device, origin);
        await enqueue(trx, queues.identityVerification, "verify-identity", { userId });
        await audit.record(trx, {
          actorUserId: userId,
          action: "user.register",
          resourceType: "user",
          resourceId: userId,
          newValues: { email, fullName: input.fullName, registrationType: input.registrationType, status: "pending_verification" },
          origin,
          complianceRelevant: true,
        });
        return { userId, ...session };
      });
      return { ...(await this.tokensFor(opened.userId, opened.sessionId, opened.refreshToken, amr)), verificationStatus: "pending" };
    } catch (error) {
      if (isUniqueViolation(error, "users_email_unique")) throw errors.emailTaken();
      if (isUniqueViolation(error, "credentials_oidc_identity")) throw errors.identityTaken();
      throw error;
    }
  }

  private async proveIdentity(input: Registration) {
    if (input.registrationType === "email") {
      const hash = await this.deps.passwords.hash(input.password);
      return { email: normalizeEmail(input.email), credential: { kind: "password" as const, hash } };
    }
    let identity: VerifiedIdentity;
    try {
      identity = await this.deps.identityTokens.verify(PROVIDERS[input.registrationType], input.idToken, this.deps.clock.now());
    } catch (error) {
      if (error instanceof IdentityTokenRejected) throw errors.idTokenRejected(error.reason);
      throw error;
    }
    const email = normalizeEmail(identity.email);
    if (input.email && normalizeEmail(input.email) !== email) throw errors.emailMismatch();
    return { email, credential: { kind: "oidc" as const, identity } };
  }

  /**
   * login checks a password. Unknown accounts cost one argon2 verification too, and both failures
   * answer alike. The account, and whether the device has signed in to it before, are looked up in
   * one query; every attempt then counts against the sign-in budgets (SignInThrottle) before the
   * check, so concurrent guesses cannot slip past the limits; a success gives the counts back.
   */
  async login(emailInput: string, password: string, device: ClientDevice, origin: RequestOrigin): Promise<IssuedTokens> {
    const { db, signIns } = this.deps;
    const email = normalizeEmail(emailInput);
    const account = await findPasswordLogin(db, email, device.deviceId || undefined);
    const attempt: SignInAttempt = { origin, email, userId: account?.userId, knownDeviceId: account?.knownDevice ? device.deviceId : undefined };
    await signIns.admit(attempt);
    const matched = await this.deps.passwords.verify(account?.passwordHash, password);
    if (!account || !matched) {
      signIns.failed(attempt, account ? "wrong_password" : "unknown_account");
      throw errors.invalidCredentials();
    }
    await signIns.succeeded(attempt);
    if (!mayUseAccount(account.status)) {
      signIns.failed(attempt, "account_not_active");
      throw errors.accountNotActive();
    }
    return this.openSession(account.userId, ["pwd"], device, origin);
  }

  /**
   * loginWithIdentity signs in the account registered with the identity an id token proves.
   * Tokens that do not verify count against the client address's budget like wrong passwords.
   */
  async loginWithIdentity(provider: IdentityProviderName, idToken: string, device: ClientDevice, origin: RequestOrigin): Promise<IssuedTokens> {
    const { db, signIns } = this.deps;
    const attempt: SignInAttempt = { origin };
    await signIns.admit(attempt);
    let identity: VerifiedIdentity;
    try {
      identity = await this.deps.identityTokens.verify(provider, idToken, this.deps.clock.now());
    } catch (error) {
      if (!(error instanceof IdentityTokenRejected)) throw error;
      signIns.failed(attempt, error.reason);
      throw errors.idTokenRejected(error.reason);
    }
    await signIns.succeeded(attempt);
    const account = await findOidcLogin(db, identity.issuer, identity.subject);
    if (!account) {
      signIns.failed(attempt, "identity_not_registered");
      throw errors.identityNotRegistered();
    }
    if (!mayUseAccount(account.status)) {
      signIns.failed({ origin, userId: account.userId }, "account_not_active");
      throw errors.accountNotActive();
    }
    return this.openSession(account.userId, ["fed"], device, origin);
  }

  /** openSession starts a signed-in session with an audit row and issues its tokens. */
  private async openSession(userId: string, amr: string[], device: ClientDevice, origin: RequestOrigin): Promise<IssuedTokens> {
    const { db, audit, sessions } = this.deps;
    const opened = await db.transaction().execute(async (trx) => {
      const session = await sessions.open(trx, userId, amr, device, origin);
      await audit.record(trx, {
        actorUserId: userId,
        action: "auth.login",
        resourceType: "session",
        resourceId: session.sessionId,
        newValues: { userId, amr },
        origin,
      });
      return session;
    });
    return this.tokensFor(userId, opened.sessionId, opened.refreshToken, amr);
  }

  /**
   * refresh spends a refresh token for a new set. A token presented twice means it leaked: the whole
   * session is revoked, recorded, and announced to every replica.
   */
  async refresh(refreshToken: string, origin: RequestOrigin): Promise<IssuedTokens> {
    const { db, clock, audit, sessions } = this.deps;
    const now = clock.now();
    const outcome = await db.transaction().execute(async (trx) => {
      const claim = await claimRefreshToken(trx, sha256(refreshToken), now);
      if (claim.outcome === "unknown") return { ok: false as const };
      if (claim.outcome === "reused") {
        const revoked = await sessions.revoke(trx, claim.sessionId, "refresh_token_reuse");
        if (revoked) {
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
        return { ok: false as const, revokedSessionId: revoked ? claim.sessionId : undefined };
      }
      const spent = claim.sessionRevoked || claim.expiresAt <= now || claim.sessionExpiresAt <= now;
      if (spent || !mayUseAccount(claim.userStatus)) return { ok: false as const };
      const next = await sessions.mintRefreshToken(trx, claim.sessionId);
      await touchSession(trx, claim.sessionId, now);
      return { ok: true as const, userId: claim.userId, sessionId: claim.sessionId, refreshToken: next, amr: claim.amr };
    });
    if (!outcome.ok) {
      if (outcome.revokedSessionId) await sessions.announceRevoked(outcome.revokedSessionId);
      throw errors.invalidRefreshToken();
    }
    return this.tokensFor(outcome.userId, outcome.sessionId, outcome.refreshToken, outcome.amr);
  }

  /** logout revokes the caller's session everywhere. */
  async logout(caller: Principal, origin: RequestOrigin): Promise<void> {
    const { db, audit, sessions } = this.deps;
    await db.transaction().execute(async (trx) => {
      if (!(await sessions.revoke(trx, caller.sessionId, "logout"))) return;
      await audit.record(trx, {
        actorUserId: caller.userId,
        action: "auth.logout",
        resourceType: "session",
        resourceId: caller.sessionId,
        newValues: { revoked: true },
        origin,
      });
    });
    await sessions.announceRevoked(caller.sessionId);
  }

  private async tokensFor(userId: string, sessionId: string, refreshToken: string, amr: string[]): Promise<IssuedTokens> {
    const { accessTokens, clock } = this.deps;
    const accessToken = await accessTokens.issue(userId, sessionId, amr, clock.now());
    return { userId, sessionId, accessToken, refreshToken, expiresIn: accessTokens.ttlSeconds };
  }
}
