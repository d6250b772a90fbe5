/**
 * mayUseAccount says whether an account in this status may sign in and keep using its sessions:
 * active accounts and those still waiting for identity verification. Suspended, locked and
 * deactivated accounts may not.
 */
export function mayUseAccount(status: string): boolean {
  return status === "active" || status === "pending_verification";
}
