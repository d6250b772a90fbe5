import type { PasswordProblem } from "../../platform/crypto/passwords.js";
import type { IdentityTokenRejected } from "../../platform/identity-tokens.js";
import { DomainError, type ErrorKind } from "../../shared/domain-error.js";

// Same code and message for an unknown e-mail and a wrong password: no account enumeration.
export const invalidCredentials = () => new DomainError("unauthenticated", "invalid_credentials", "invalid email or password");

export const emailTaken = () => new DomainError("already_exists", "email_taken", "an account with this email already exists");

export const identityTaken = () =>
  new DomainError("already_exists", "identity_taken", "an account is already registered with this identity");

export const identityNotRegistered = () =>
  new DomainError("not_found", "identity_not_registered", "no account is registered with this identity; register first");

export const accountNotActive = () =>
  new DomainError("failed_precondition", "account_not_active", "the account is suspended, locked or deactivated");

const passwordMessages: Record<PasswordProblem, string> = {
  too_short: "password: must be at least 12 characters",
  too_long: "password: must be at most 128 characters",
  common: "password: is a commonly used password",
  guessable: "password: is too easy to guess; use a longer passphrase",
};

export const weakPassword = (problem: PasswordProblem) => new DomainError("invalid_argument", `password_${problem}`, passwordMessages[problem]);

const idTokenRejections: Record<IdentityTokenRejected["reason"], [ErrorKind, string]> = {
  provider_not_configured: ["failed_precondition", "id_token: this sign-in provider is not configured"],
  provider_unreachable: ["unavailable", "the sign-in provider cannot be reached; try again later"],
  email_not_verified: ["invalid_argument", "id_token: the identity has no verified email"],
  invalid_id_token: ["invalid_argument", "id_token: not a valid token from the provider"],
};

export const idTokenRejected = (reason: IdentityTokenRejected["reason"]) => {
  const [kind, message] = idTokenRejections[reason];
  return new DomainError(kind, reason, message);
};

export const disposableEmail = () =>
  new DomainError("invalid_argument", "email_disposable", "email: addresses of throwaway-mail services are not accepted");

export const emailMismatch = () =>
  new DomainError("invalid_argument", "email_mismatch", "email: does not match the id_token's verified email");

export const invitationsUnavailable = () =>
  new DomainError("failed_precondition", "invitations_unavailable", "organization_invite_token: organization invitations are not enabled");
