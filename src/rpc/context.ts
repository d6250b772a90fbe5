import { createContextKey } from "@connectrpc/connect";
import type { Principal } from "../shared/principal.js";
import type { RequestOrigin } from "../shared/request-origin.js";

/** principalKey holds the authenticated caller; undefined on public RPCs called without a token. */
export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "authenticated caller" });

/** originKey holds the caller's IP address and user agent, and the request id. */
export const originKey = createContextKey<RequestOrigin>(
  { ipAddress: undefined, userAgent: undefined, requestId: undefined },
  { description: "request origin" },
);

/** requestIdKey holds the request's id: the x-request-id header or a generated one. */
export const requestIdKey = createContextKey<string>("", { description: "request id" });

/** requirePrincipal returns the caller of an RPC whose rule demands authentication. */
export function requirePrincipal(principal: Principal | undefined): Principal {
  // The authorize interceptor guarantees it for non-public RPCs; reaching here without one is a bug.
  if (!principal) throw new Error("principal missing on an authenticated RPC");
  return principal;
}
