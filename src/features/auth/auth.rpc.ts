import { originKey, principalKey, requirePrincipal } from "../../rpc/context.js";
import type { Handlers } from "../../rpc/implemented.js";
import { verificationStatusToPb } from "../profile/index.js";
import { deviceFromPb, identityProviderFromPb, registrationFromPb, tokensToPb } from "./auth.convert.js";
import type { AuthService } from "./auth.service.js";

/** authRpc adapts AuthService to the AuthService RPCs. CompleteMfaChallenge arrives with MFA. */
export function authRpc(auth: AuthService): Handlers<"auth"> {
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
      const tokens = provider
        ? await auth.loginWithIdentity(provider, req.idToken, device, origin)
        : await auth.login(req.email, req.password, device, origin);
      return { result: { case: "tokens", value: tokensToPb(tokens) } };
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
