import { DomainError } from "../../shared/domain-error.js";

/** notOrganizationMember refuses an organization's admin or manager a user outside the organization they named. */
export const notOrganizationMember = () => new DomainError("permission_denied", "not_organization_member", "user_id: not a member of the organization");

/** notSubordinate refuses a manager the activity of a member they do not manage. */
export const notSubordinate = () => new DomainError("permission_denied", "not_subordinate", "user_id: not a member you manage");
