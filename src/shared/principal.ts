/** PlatformRole is a role granted across the whole platform with `user-service grant-role`. */
export type PlatformRole = "admin" | "compliance_officer" | "support";

export const PLATFORM_ROLES: readonly PlatformRole[] = ["admin", "compliance_officer", "support"];

/** Principal is the authenticated caller of a request. */
export interface Principal {
  userId: string;
  sessionId: string;
  /** Authentication methods of the session (RFC 8176 values such as "pwd", "otp"). */
  amr: string[];
  platformRoles: PlatformRole[];
}
