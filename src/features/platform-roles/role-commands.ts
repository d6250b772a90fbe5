import type { ControlCommand } from "../../platform/control-channel.js";
import { DomainError } from "../../shared/domain-error.js";
import { PLATFORM_ROLES, type PlatformRole } from "../../shared/principal.js";
import { isPlatformRole, type PlatformRoles, type RoleChange } from "./platform-roles.service.js";

/** roleArguments reads `{email, role}` as the command line sends them. */
function roleArguments(args: Record<string, unknown>): { email: string; role: PlatformRole } {
  const { email, role } = args;
  if (typeof email !== "string" || email === "") throw new DomainError("invalid_argument", "email_missing", "email: required");
  if (typeof role !== "string" || !isPlatformRole(role)) throw new DomainError("invalid_argument", "role_unknown", `role: one of ${PLATFORM_ROLES.join(", ")}`);
  return { email, role };
}

/** platformRoleCommands are the control channel's commands for the `grant-role` and `revoke-role` verbs. */
export function platformRoleCommands(roles: PlatformRoles): Record<string, ControlCommand> {
  return {
    "grant-role": (args): Promise<RoleChange> => {
      const { email, role } = roleArguments(args);
      return roles.grant(email, role);
    },
    "revoke-role": (args): Promise<RoleChange> => {
      const { email, role } = roleArguments(args);
      return roles.revoke(email, role);
    },
  };
}
