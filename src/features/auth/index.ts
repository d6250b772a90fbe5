export { AuthService, type AuthDependencies, type AuthLimits, type Registration } from "./auth.service.js";
export { authRpc } from "./auth.rpc.js";
export { invalidMfaChallenge, invalidMfaCode } from "./auth.errors.js";
export {
  noSecondFactor,
  type FirstFactorContext,
  type SecondFactor,
  type SecondFactorAnswer,
  type SecondFactorChallenge,
  type SecondFactorMethod,
  type SignInOutcome,
} from "./second-factor.js";
export { SignInThrottle, type SignInPolicy } from "./sign-in-throttle.js";
export { findOidcIssuer } from "./auth.repository.js";
