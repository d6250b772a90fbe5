import type { PasswordProblem } from "../../platform/crypto/passwords.js";
import type { IdentityTokenRejected } from "../../platform/identity-tokens.js";
import { DomainError, type ErrorKind } from "../../shared/domain-error.js";

/** invalidCredentials is the one answer to an unknown e-mail and to a wrong password alike, so accounts cannot be enumerated. */
export const invalidCredentials = () => new DomainError("unauthenticated", "invalid_credentials", "invalid email or password");

/** emailTaken refuses a sign-up with an e-mail address an account already has. */
export const emailTaken = () => new DomainError("already_exists", "email_taken", "an account with this email already exists");

/** identityTaken refuses a federated sign-up with an identity an account is already registered with. */
export const identityTaken = () =>
  new DomainError("already_exists", "identity_taken", "an account is already registered with this identity");

/** identityNotRegistered refuses a federated sign-in with an identity no account is registered with. */
export const identityNotRegistered = () =>
  new DomainError("not_found", "identity_not_registered", "no account is registered with this identity; register first");

/** accountNotActive refuses the sign-in of a suspended, locked or deactivated account, once its credentials are proven. */
export const accountNotActive = () =>
  new DomainError("failed_precondition", "account_not_active", "the account is suspended, locked or deactivated");

const passwordMessages: Record<PasswordProblem, string> = {
  too_short: "password: must be at least 12 characters",
  too_long: "password: must be at most 128 characters",
  common: "password: is a commonly used password",
  guessable: "password: is too easy to guess; use a longer passphrase",
};

/** weakPassword refuses a password, naming the problem in the reason (`password_too_short`, `password_common`...). */
export const weakPassword = (problem: PasswordProblem) => new DomainError("invalid_argument", `password_${problem}`, passwordMessages[problem]);

const idTokenRejections: Record<IdentityTokenRejected["reason"], [ErrorKind, string]> = {
  provider_not_configured: ["failed_precondition", "id_token: this sign-in provider is not configured"],
  provider_unreachable: ["unavailable", "the sign-in provider cannot be reached; try again later"],
  email_not_verified: ["invalid_argument", "id_token: the identity has no verified email"],
  invalid_id_token: ["invalid_argument", "id_token: not a valid token from the provider"],
};

/** idTokenRejected refuses an id token the provider's checks rejected, with the kind each reason calls for. */
export const idTokenRejected = (reason: IdentityTokenRejected["reason"]) => {
  const [kind, message] = idTokenRejections[reason];
  return new DomainError(kind, reason, message);
};

/** disposableEmail refuses a sign-up with an address of a throwaway-mail service. */
export const disposableEmail = () =>
  new DomainError("invalid_argument", "email_disposable", "email: addresses of throwaway-mail services are not accepted");

/** emailMismatch refuses a federated sign-up whose e-mail differs from the id token's verified one. */
export const emailMismatch = () =>
  new DomainError("invalid_argument", "email_mismatch", "email: does not match the id_token's verified email");


/** invalidMfaChallenge is the one answer to a challenge that cannot be answered: unknown, expired, answered, or started by another client. */
export const invalidMfaChallenge = () => new DomainError("unauthenticated", "mfa_challenge_invalid", "the MFA challenge is not valid; sign in again");

/** invalidMfaCode answers a wrong second-factor code; the challenge stays open for another try. */
export const invalidMfaCode = () => new DomainError("unauthenticated", "invalid_mfa_code", "invalid code");

/** signInRefusedForRisk refuses a proven sign-in whose risk score reached SIGN_IN_BLOCK_RISK; it says nothing of the factors. */
export const signInRefusedForRisk = () =>
  new DomainError("failed_precondition", "sign_in_risk", "this sign-in was refused as too risky; try again from a device and network you have used before, or contact support");

/** additionalVerificationRequired refuses a sign-in the user's risk asks a second factor of when they have none to give. */
export const additionalVerificationRequired = () =>
  new DomainError("failed_precondition", "additional_verification_required", "this account needs additional verification before it signs in again; contact support");
