import { DomainError } from "../../shared/domain-error.js";

/** mfaMethodExists refuses a set-up of a kind the user already has active: remove it first. */
export const mfaMethodExists = () => new DomainError("already_exists", "mfa_method_exists", "mfa_type: an active method of this type exists; remove it first");

/** noPendingMethod refuses VerifyMfa when the user has no method of that type waiting for its first code. */
export const noPendingMethod = () => new DomainError("failed_precondition", "mfa_method_not_pending", "mfa_type: no method of this type is waiting to be verified; call SetupMfa first");

/** mfaMethodNotFound answers a method id that is not one of the caller's methods. */
export const mfaMethodNotFound = () => new DomainError("not_found", "mfa_method_not_found", "method_id: no such method");

/** backupCodesNotRemovable refuses removing the backup codes on their own. */
export const backupCodesNotRemovable = () =>
  new DomainError("failed_precondition", "backup_codes_not_removable", "method_id: backup codes cannot be removed on their own; use RegenerateBackupCodes");

/** mfaNotActive refuses regenerating backup codes for a user without an active TOTP or SMS method. */
export const mfaNotActive = () => new DomainError("failed_precondition", "mfa_not_active", "backup codes need an active TOTP or SMS method");

/**
 * recentSecondFactorRequired refuses an MFA change in a session that has not passed a second
 * factor in the last ten minutes: the client signs in again, answering the MFA challenge.
 */
export const recentSecondFactorRequired = () =>
  new DomainError("failed_precondition", "recent_second_factor_required", "sign in again with your second factor (within the last 10 minutes) to change MFA");

/** recentSignInRequired refuses setting up a first method in a session older than ten minutes: the client signs in again. */
export const recentSignInRequired = () =>
  new DomainError("failed_precondition", "recent_sign_in_required", "sign in again (within the last 10 minutes) to set up MFA");

/** mfaTypeNotOffered refuses an answer of a type the challenge did not offer. */
export const mfaTypeNotOffered = () => new DomainError("invalid_argument", "mfa_type_not_offered", "mfa_type: not one of the challenge's methods");

/** challengeAttemptsExhausted answers the wrong code that used up a challenge's attempts: the client signs in again. */
export const challengeAttemptsExhausted = () =>
  new DomainError("resource_exhausted", "mfa_challenge_attempts", "too many wrong codes for this challenge; sign in again");

/** mfaLocked refuses every code of a user who gave MFA_FAILURES_PER_USER wrong ones in the window, until it ends. */
export const mfaLocked = (retryAfterMs: number) =>
  new DomainError("resource_exhausted", "mfa_locked", "too many wrong codes; try again later", { retryAfterMs });

/** invalidPhoneNumber refuses a phone number that cannot exist in its country's numbering plan. */
export const invalidPhoneNumber = () => new DomainError("invalid_argument", "phone_number_invalid", "phone_number: not a valid phone number");
