import { DomainError } from "../../shared/domain-error.js";

/** invalidRefreshToken is the one answer to every refresh token that cannot be spent: unknown, spent, expired or revoked alike. */
export const invalidRefreshToken = () => new DomainError("unauthenticated", "invalid_refresh_token", "the refresh token is not valid");
