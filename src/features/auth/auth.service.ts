import type { Db, Tx } from "../../db/database.js";
import { isUniqueViolation } from "../../db/errors.js";
import type { InvestmentProfileValue, RiskToleranceValue } from "../../db/tables/users.js";
import { transaction } from "../../db/transaction.js";
import { enqueue, queues } from "../../jobs/outbox.js";
import type { Clock } from "../../platform/clock.js";
import { passwordProblem, type PasswordHasher } from "../../platform/crypto/passwords.js";
import { isDisposableEmail } from "../../platform/disposable-email.js";
import { IdentityTokenRejected, type IdentityTokens, type VerifiedIdentity } from "../../platform/identity-tokens.js";
import type { Limiter } from "../../platform/rate-limits.js";
import { normalizeEmail } from "../../shared/email.js";
import { providerOfRegistration, type IdentityProviderName, type RegistrationTypeValue } from "../../shared/identity-providers.js";
import type { Principal } from "../../shared/principal.js";
import type { RequestOrigin } from "../../shared/request-origin.js";
import { mayUseAccount, type VerificationStatusValue } from "../../shared/user-status.js";
import type { AuditLog } from "../audit/index.js";
import { findAccountByEmail, findAccountStatus, type ProfileService } from "../profile/index.js";
import type { Onboarding } from "../onboarding/index.js";
import type { ClientDevice, DeviceStanding, IssuedTokens, SessionGrant, Sessions, SignInRisk } from "../sessions/index.js";
import * as errors from "./auth.errors.js";
import { findOidcUser, findPasswordHash, insertOidcCredential, insertPasswordCredential } from "./auth.repository.js";
import type { SecondFactor, SecondFactorAnswer, SignInOutcome } from "./second-factor.js";
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

/** AuthLimits are the rate limits of sign-up (sign-in has its own, in SignInThrottle). */
export interface AuthLimits {
  registrationsPerIp: Limiter;
}

/** AuthDependencies are what AuthService needs to register users and sign them in. */
export interface AuthDependencies {
  db: Db;
  clock: Clock;
  passwords: PasswordHasher;
  identityTokens: IdentityTokens;
  sessions: Sessions;
  profiles: ProfileService;
  audit: AuditLog;
  limits: AuthLimits;
  signIns: SignInThrottle;
  secondFactor: SecondFactor;
  risk: SignInRisk;
  /** A sign-in scoring this much or more is refused (SIGN_IN_BLOCK_RISK). */
  blockRiskAt: number;
  /** Whether a user's risk asks their next sign-ins for a second factor whatever the device (the security protocols' step-up flag). */
  stepUp: { required(userId: string): Promise<boolean> };
  /** Accepts the organization invitation a registration presents (organization_invite_token). */
  invitations: InvitationAcceptor;
  /** Starts the new user's onboarding, and hears that an identity provider vouched for the e-mail address. */
  onboarding: Pick<Onboarding, "begin" | "happened">;
}

/** InvitationAcceptor accepts an organization invitation for a new user inside the registration's transaction. */
export interface InvitationAcceptor {
  acceptWithin(trx: Tx, token: string, user: { userId: string; email: string }, origin: RequestOrigin): Promise<unknown>;
}

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
    if (input.registrationType === "email") refuseWeakEmailRegistration(input);
    // Counted after the cheap checks, so fixing a weak password costs nothing; before the costly ones.
    await this.deps.limits.registrationsPerIp.consume(origin.ipAddress ?? "unknown");
    const { email, credential } = await this.proveIdentity(input);
    const amr = input.registrationType === "email" ? ["pwd"] : ["fed"];
    try {
      const tokens = await transaction(db, async (trx) => {
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
        const tokens = await sessions.open(trx, { userId, amr, device: input.device, origin });
        await this.deps.onboarding.begin(trx, userId);
        // Federated sign-ups carry email_verified from their identity provider (IdentityTokens refuses others).
        if (credential.kind === "oidc") await this.deps.onboarding.happened(trx, userId, "email_verified", origin);
        await enqueue(trx, queues.identityVerification, "verify-identity", { userId });
        // The invitation is accepted with the account, so a refused one leaves no account behind.
        if (input.organizationInviteToken) await this.deps.invitations.acceptWithin(trx, input.organizationInviteToken, { userId, email }, origin);
        await audit.record(trx, {
          actorUserId: userId,
          action: "user.register",
          resourceType: "user",
          resourceId: userId,
          newValues: { email, fullName: input.fullName, registrationType: input.registrationType, status: "pending_verification" },
          origin,
          complianceRelevant: true,
        });
        return tokens;
      });
      return { ...tokens, verificationStatus: "pending" };
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
    const identity = await this.verifyIdToken(providerOfRegistration(input.registrationType), input.idToken);
    const email = normalizeEmail(identity.email);
    if (input.email && normalizeEmail(input.email) !== email) throw errors.emailMismatch();
    return { email, credential: { kind: "oidc" as const, identity } };
  }

  /**
   * login checks a password. Unknown accounts cost one argon2 verification too, and both failures
   * answer alike. Every attempt counts against the sign-in budgets (SignInThrottle) before the
   * check, so concurrent guesses cannot slip past the limits; a success gives the counts back.
   */
  async login(emailInput: string, password: string, device: ClientDevice, origin: RequestOrigin): Promise<SignInOutcome> {
    const { signIns } = this.deps;
    const email = normalizeEmail(emailInput);
    const account = await this.findPasswordAccount(email, device.deviceId);
    const attempt: SignInAttempt = { origin, email, userId: account?.userId, knownDeviceId: account?.device.known ? device.deviceId : undefined };
    const recentFailures = await signIns.admit(attempt);
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
    return this.firstFactorProven({ userId: account.userId, amr: ["pwd"], device, origin }, recentFailures, account.device);
  }

  /**
   * findPasswordAccount finds the account a password sign-in names, with its hash and the standing
   * of the device with it (signed in before, trusted). An account without a password (registered
   * through a provider) is no account to a password sign-in.
   */
  private async findPasswordAccount(email: string, deviceId: string | undefined) {
    const { db, sessions } = this.deps;
    const account = await findAccountByEmail(db, email);
    if (!account) return undefined;
    const [passwordHash, device] = await Promise.all([findPasswordHash(db, account.userId), sessions.deviceStanding(account.userId, deviceId)]);
    return passwordHash === undefined ? undefined : { ...account, passwordHash, device };
  }

  /**
   * loginWithIdentity signs in the account registered with the identity an id token proves.
   * Tokens that do not verify count against the client address's budget like wrong passwords.
   */
  async loginWithIdentity(provider: IdentityProviderName, idToken: string, device: ClientDevice, origin: RequestOrigin): Promise<SignInOutcome> {
    const { db, signIns } = this.deps;
    const attempt: SignInAttempt = { origin };
    const recentFailures = await signIns.admit(attempt);
    const identity = await this.verifyIdToken(provider, idToken, (reason) => signIns.failed(attempt, reason));
    await signIns.succeeded(attempt);
    const userId = await findOidcUser(db, identity.issuer, identity.subject);
    if (!userId) {
      signIns.failed(attempt, "identity_not_registered");
      throw errors.identityNotRegistered();
    }
    const status = await findAccountStatus(db, userId);
    if (!status || !mayUseAccount(status)) {
      signIns.failed({ origin, userId }, "account_not_active");
      throw errors.accountNotActive();
    }
    return this.firstFactorProven({ userId, amr: ["fed"], device, origin }, recentFailures);
  }

  /**
   * firstFactorProven scores the sign-in's risk, refuses it above SIGN_IN_BLOCK_RISK, asks for a
   * second factor when the account needs one, and otherwise opens the session, scored. The
   * device's standing is read here unless the first factor's check read it already.
   */
  private async firstFactorProven(proven: SessionGrant, recentFailures: number, standing?: DeviceStanding): Promise<SignInOutcome> {
    const { risk, blockRiskAt, secondFactor, sessions } = this.deps;
    const device = standing ?? (await sessions.deviceStanding(proven.userId, proven.device.deviceId));
    const assessment = await risk.assess(proven, recentFailures, device.known);
    const grant = { ...proven, risk: assessment };
    if (assessment.score >= blockRiskAt) {
      await risk.refused(grant, assessment);
      throw errors.signInRefusedForRisk();
    }
    const stepUp = await this.deps.stepUp.required(proven.userId);
    const challenge = await secondFactor.challenge(grant, { stepUp, trustedDevice: device.trusted });
    if (challenge) return { kind: "challenge", challenge };
    if (stepUp) throw errors.additionalVerificationRequired(); // no second factor to give
    return { kind: "tokens", tokens: await sessions.signIn(grant) };
  }

  /** verifyIdToken proves an identity with a provider's id token; a rejected token is reported, then thrown as its DomainError. */
  private async verifyIdToken(provider: IdentityProviderName, idToken: string, rejected?: (reason: IdentityTokenRejected["reason"]) => void): Promise<VerifiedIdentity> {
    try {
      return await this.deps.identityTokens.verify(provider, idToken, this.deps.clock.now());
    } catch (error) {
      if (!(error instanceof IdentityTokenRejected)) throw error;
      rejected?.(error.reason);
      throw errors.idTokenRejected(error.reason);
    }
  }

  /** completeMfaChallenge opens the session a second-factor challenge held back, once the policy accepts the answer. */
  async completeMfaChallenge(answer: SecondFactorAnswer): Promise<IssuedTokens> {
    const { secondFactor, sessions } = this.deps;
    return secondFactor.complete(answer, (trx, grant) => sessions.signInWithin(trx, grant));
  }

  /** refresh spends a refresh token for a new set (see Sessions.refresh). */
  refresh(refreshToken: string, origin: RequestOrigin): Promise<IssuedTokens> {
    return this.deps.sessions.refresh(refreshToken, origin);
  }

  /** logout revokes the caller's session everywhere. */
  logout(caller: Principal, origin: RequestOrigin): Promise<void> {
    return this.deps.sessions.signOut(caller, origin);
  }
}
