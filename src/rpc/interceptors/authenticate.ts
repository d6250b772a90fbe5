import type { Interceptor } from "@connectrpc/connect";
import type { Principal } from "../../shared/principal.js";
import { DomainError } from "../../shared/domain-error.js";
import { isPublic } from "../access-rules.js";
import { principalKey } from "../context.js";

/** Authenticator resolves a bearer token to its caller or throws an unauthenticated DomainError. */
export type Authenticator = (bearerToken: string) => Promise<Principal>;

const BEARER = /^Bearer ([\w.~+/-]+=*)$/i;

/**
 * createAuthenticateInterceptor requires a valid bearer token on every RPC that is not public and
 * puts the caller in the context. Public RPCs ignore credentials altogether.
 */
export function createAuthenticateInterceptor(authenticate: Authenticator): Interceptor {
  return (next) => async (req) => {
    if (isPublic(req.method)) return next(req);
    const header = req.header.get("authorization");
    const token = header ? BEARER.exec(header)?.[1] : undefined;
    if (!token) throw new DomainError("unauthenticated", "missing_token", "an access token is required");
    req.contextValues.set(principalKey, await authenticate(token));
    return next(req);
  };
}
