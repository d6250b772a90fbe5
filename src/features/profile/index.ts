export { ProfileService, type AccountHolder, type Profile, type UserSummary } from "./profile.service.js";
export { findAccountByEmail, findAccountStatus, type Account, type NewUser } from "./profile.repository.js";
export { profileRpc } from "./profile.rpc.js";
export { profileDetailsFromPb, userStatusFromPb, userStatusToPb, verificationStatusToPb } from "./profile.convert.js";
