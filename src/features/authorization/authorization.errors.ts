import { DomainError } from "../../shared/domain-error.js";

/** permissionDenied is the one answer to a caller without the permission an RPC declares; it says nothing of why. */
export const permissionDenied = () => new DomainError("permission_denied", "permission_denied", "the caller may not perform this action");
