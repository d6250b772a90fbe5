import { DomainError } from "../../shared/domain-error.js";

/** invalidRefreshToken is the one answer to every refresh token that cannot be spent: unknown, spent, expired or revoked alike. */
export const invalidRefreshToken = () => new DomainError("unauthenticated", "invalid_refresh_token", "the refresh token is not valid");

/** sessionNotFound answers a session id that is not one of the caller's sessions: theirs or nobody's looks the same. */
export const sessionNotFound = () => new DomainError("not_found", "session_not_found", "session_id: no such session");

/** deviceIdMissing refuses trusting the device of a session that signed in without a device id. */
export const deviceIdMissing = () =>
  new DomainError("failed_precondition", "device_id_missing", "session_id: the session's sign-in named no device (DeviceContext.device_id), so there is no device to trust");
