import { DomainError } from "../../shared/domain-error.js";

/** organizationNameTaken refuses a name another organization has. */
export const organizationNameTaken = () => new DomainError("already_exists", "organization_name_taken", "name: an organization with this name exists");

/** organizationNotFound answers an organization id nobody has (only platform readers can ask about one they do not belong to). */
export const organizationNotFound = () => new DomainError("not_found", "organization_not_found", "organization_id: no such organization");

/** memberNotFound answers a user who is not a member of the organization. */
export const memberNotFound = () => new DomainError("not_found", "member_not_found", "user_id: not a member of the organization");

/** lastAdmin refuses removing or demoting the organization's only admin: nobody could manage it any more. */
export const lastAdmin = () => new DomainError("failed_precondition", "last_admin", "user_id: the organization's last admin cannot be removed or demoted");

/** managerNotMember refuses a manager who is not a member of the organization. */
export const managerNotMember = () => new DomainError("failed_precondition", "manager_not_member", "manager_user_id: not a member of the organization");

/** managerLoop refuses a manager who would make the chain of managers loop: the member themselves or one of their subordinates. */
export const managerLoop = () => new DomainError("invalid_argument", "manager_loop", "manager_user_id: the member manages this user, directly or indirectly, so the chain would loop");

/** notASubordinate refuses a manager acting on someone outside their reports (direct or indirect). */
export const notASubordinate = () => new DomainError("permission_denied", "not_a_subordinate", "user_id: managers change only the members they manage, directly or indirectly");

/** managerOutsideReach refuses a manager giving a subordinate a manager who is neither themselves nor one of their subordinates. */
export const managerOutsideReach = () =>
  new DomainError("permission_denied", "manager_outside_reach", "manager_user_id: managers may assign only themselves or members they manage");

/** roleBeyondManager refuses a manager giving a role other than trader or viewer. */
export const roleBeyondManager = () => new DomainError("permission_denied", "role_beyond_manager", "role: managers may give only the trader and viewer roles");

/** roleGrantNeedsApproval refuses granting the admin or compliance role by one admin alone (four-eyes). */
export const roleGrantNeedsApproval = () =>
  new DomainError("failed_precondition", "role_grant_needs_approval", "role: granting the admin or compliance role needs a second admin's approval");
