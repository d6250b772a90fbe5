/** USER_STATUSES are the states of an account's lifecycle, as stored. */
export const USER_STATUSES = ["active", "pending_verification", "suspended", "locked", "deactivated"] as const;

/** UserStatusValue is one of USER_STATUSES. */
export type UserStatusValue = (typeof USER_STATUSES)[number];

/** VERIFICATION_STATUSES are the outcomes of identity verification, as stored. */
export const VERIFICATION_STATUSES = ["pending", "verified", "requires_additional_verification"] as const;

/** VerificationStatusValue is one of VERIFICATION_STATUSES. */
export type VerificationStatusValue = (typeof VERIFICATION_STATUSES)[number];

/**
 * mayUseAccount says whether an account in this status may sign in and keep using its sessions:
 * active accounts and those still waiting for identity verification. Suspended, locked and
 * deactivated accounts may not.
 */
export function mayUseAccount(status: UserStatusValue): boolean {
  return status === "active" || status === "pending_verification";
}
