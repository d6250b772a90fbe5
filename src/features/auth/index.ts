export { AuthService, normalizeEmail, type AuthDependencies, type AuthLimits } from "./auth.service.js";
export { authRpc } from "./auth.rpc.js";
export { SignInThrottle, type SignInPolicy } from "./sign-in-throttle.js";
