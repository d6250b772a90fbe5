/** PLATFORM_ROLES are the roles granted across the whole platform with `user-service grant-role`. */
export const PLATFORM_ROLES = ["admin", "compliance_officer", "support"] as const;

/** PlatformRole is one of PLATFORM_ROLES. */
export type PlatformRole = (typeof PLATFORM_ROLES)[number];

/** Principal is the authenticated caller of a request. */
export interface Principal {
  userId: string;
  sessionId: string;
  /** Authentication methods of the session (RFC 8176 values such as "pwd", "otp"). */
  amr: string[];
  platformRoles: PlatformRole[];
}
