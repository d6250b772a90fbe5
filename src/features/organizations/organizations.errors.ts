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

/** roleGrantPending refuses a second role grant for a member while one waits for approval. */
export const roleGrantPending = () => new DomainError("already_exists", "role_grant_pending", "user_id: a role grant for this member is already waiting for approval");

/** joinPending refuses a second join request of a person while one waits for approval. */
export const joinPending = () => new DomainError("already_exists", "join_pending", "a request to join this organization is already waiting for approval");

/** invitationNotFound answers a token that is no invitation. */
export const invitationNotFound = () => new DomainError("not_found", "invitation_not_found", "invitation_token: no such invitation");

/** invitationNotUsable refuses an invitation that expired, was replaced by a newer one or was accepted already. */
export const invitationNotUsable = () =>
  new DomainError("failed_precondition", "invitation_not_usable", "invitation_token: the invitation has expired, been replaced or been accepted");

/** invitationForSomeoneElse refuses an invitation sent to another e-mail address than the caller's. */
export const invitationForSomeoneElse = () => new DomainError("permission_denied", "invitation_for_someone_else", "invitation_token: the invitation was sent to another e-mail address");

/** alreadyMember refuses inviting, or joining as, someone who is already a member. */
export const alreadyMember = () => new DomainError("already_exists", "already_member", "email: already a member of the organization");

/** requestNotFound answers a request id that is none of the organization's requests. */
export const requestNotFound = () => new DomainError("not_found", "member_request_not_found", "request_id: no such request");

/** requestDecided refuses deciding a request that is no longer pending. */
export const requestDecided = () => new DomainError("failed_precondition", "member_request_decided", "request_id: the request has been decided already");

/** secondAdminRequired refuses deciding a request for the admin or compliance role by anyone but an admin other than its requester. */
export const secondAdminRequired = () =>
  new DomainError("permission_denied", "second_admin_required", "request_id: an admin other than the one who made the request must decide it");

/** managerMayNotDecide refuses a manager deciding a join they could not have invited (a role other than trader or viewer). */
export const managerMayNotDecide = () => new DomainError("permission_denied", "manager_may_not_decide", "request_id: managers decide joins as trader or viewer only");
