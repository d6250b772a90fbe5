import type { ServiceImpl } from "@connectrpc/connect";
import type { AuthService as AuthApi } from "../../../gen/platform/user/v1/auth_service_pb.js";
import { originKey, principalKey, requirePrincipal } from "../../rpc/context.js";
import { verificationStatusToPb } from "../profile/index.js";
import { challengeToPb, deviceFromPb, identityProviderFromPb, registrationFromPb, secondFactorMethodFromPb, tokensToPb } from "./auth.convert.js";
import type { AuthService } from "./auth.service.js";
import type { SignInOutcome } from "./second-factor.js";

/** signInResultToPb is a sign-in's outcome as the `result` oneof of LoginResponse. */
function signInResultToPb(outcome: SignInOutcome) {
  return outcome.kind === "tokens"
    ? { case: "tokens" as const, value: tokensToPb(outcome.tokens) }
    : { case: "mfaChallenge" as const, value: challengeToPb(outcome.challenge) };
}

/** authRpc adapts AuthService to the AuthService RPCs. */
export function authRpc(auth: AuthService): Partial<ServiceImpl<typeof AuthApi>> {
  return {
    async register(req, ctx) {
      const result = await auth.register(registrationFromPb(req), ctx.values.get(originKey));
      return {
        userId: result.userId,
        accessToken: result.accessToken,
        refreshToken: result.refreshToken,
        sessionId: result.sessionId,
        status: verificationStatusToPb(result.verificationStatus),
      };
    },
    async login(req, ctx) {
      const provider = identityProviderFromPb(req.identityProvider);
      const device = deviceFromPb(req.device);
      const origin = ctx.values.get(originKey);
      const outcome = provider
        ? await auth.loginWithIdentity(provider, req.idToken, device, origin)
        : await auth.login(req.email, req.password, device, origin);
      return { result: signInResultToPb(outcome) };
    },
    async completeMfaChallenge(req, ctx) {
      const answer = { challengeId: req.challengeId, method: secondFactorMethodFromPb(req.mfaType as Exclude<typeof req.mfaType, 0>), code: req.code };
      return { tokens: tokensToPb(await auth.completeMfaChallenge({ ...answer, origin: ctx.values.get(originKey) })) };
    },
    async refreshToken(req, ctx) {
      return { tokens: tokensToPb(await auth.refresh(req.refreshToken, ctx.values.get(originKey))) };
    },
    async logout(_req, ctx) {
      await auth.logout(requirePrincipal(ctx.values.get(principalKey)), ctx.values.get(originKey));
      return {};
    },
  };
}
