import { DomainError } from "../../shared/domain-error.js";

/** userNotFound answers a user id nobody has. */
export const userNotFound = () => new DomainError("not_found", "user_not_found", "user_id: no such user");
