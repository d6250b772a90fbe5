export { CodeGuard } from "./mfa-codes.js";
export { MfaSignIn, type MfaSignInDependencies } from "./mfa-sign-in.js";
export { mfaRpc } from "./mfa.rpc.js";
export { Mfa, type MfaDependencies, type MfaMethodView } from "./mfa.service.js";
export { rotateSealedValues } from "./mfa-key-rotation.js";
export { SmsCodes, type SmsCodesDependencies } from "./sms-codes.js";
