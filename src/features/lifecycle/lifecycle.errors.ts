import { DomainError } from "../../shared/domain-error.js";
import type { UserStatusValue } from "../../shared/user-status.js";

/** userNotFound answers a user id nobody has. */
export const userNotFound = () => new DomainError("not_found", "user_not_found", "user_id: no such user");

/** ownStatus refuses an operator changing their own account's status. */
export const ownStatus = () => new DomainError("permission_denied", "own_status", "user_id: operators cannot change their own account's status");

/** sameStatus refuses setting the status the account already has. */
export const sameStatus = (status: UserStatusValue) => new DomainError("failed_precondition", "status_unchanged", `new_status: the account is ${status} already`);

/** illegalTransition refuses a move the lifecycle does not allow. */
export const illegalTransition = (from: UserStatusValue, to: UserStatusValue) =>
  new DomainError("failed_precondition", "status_transition_not_allowed", `new_status: an account cannot move from ${from} to ${to}`);

/** notOrganizationMember refuses an organization admin acting on someone outside their organization. */
export const notOrganizationMember = () => new DomainError("permission_denied", "not_organization_member", "user_id: not a member of the organization");

/** beyondOrganizationAdmin refuses an organization admin any move but suspending and reactivating. */
export const beyondOrganizationAdmin = () =>
  new DomainError("permission_denied", "beyond_organization_admin", "new_status: organization admins may only suspend and reactivate their members");

/** lockEndInvalid refuses a lock end with another status than locked, or one not in the future. */
export const lockEndInvalid = () => new DomainError("invalid_argument", "locked_until_invalid", "locked_until: only a lock may end by itself, and its end must be in the future");
