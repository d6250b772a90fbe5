import { DomainError } from "../../shared/domain-error.js";

/** userNotFound answers a user id nobody has. */
export const userNotFound = () => new DomainError("not_found", "user_not_found", "user_id: no such user");

/** notOrganizationMember refuses an organization's officer acting on someone outside their organization. */
export const notOrganizationMember = () => new DomainError("permission_denied", "not_organization_member", "user_id: not a member of the organization");

/** limitRequestNotFound answers a request id nobody made (or one about a user outside the caller's organization). */
export const limitRequestNotFound = () => new DomainError("not_found", "limit_request_not_found", "request_id: no such request for trading limits");

/** limitRequestDecided refuses deciding a request that is no longer waiting. */
export const limitRequestDecided = (status: string) =>
  new DomainError("failed_precondition", "limit_request_decided", `request_id: the request is ${status} already; ask again with SetTradingLimits`);

/** ownLimitRequest refuses an officer approving limits they asked for themselves (four eyes). */
export const ownLimitRequest = () => new DomainError("permission_denied", "four_eyes", "request_id: limits must be approved by another compliance officer than the one who asked");
