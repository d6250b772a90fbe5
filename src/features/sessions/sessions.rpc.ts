import type { ServiceImpl } from "@connectrpc/connect";
import type { SessionService as SessionApi } from "../../../gen/platform/user/v1/session_service_pb.js";
import { originKey, principalKey, requirePrincipal } from "../../rpc/context.js";
import { sessionToPb } from "./sessions.convert.js";
import type { Sessions } from "./sessions.service.js";

/** DEFAULT_PAGE_SIZE is ListSessions' page size when the request leaves limit at 0. */
const DEFAULT_PAGE_SIZE = 50;

/** sessionsRpc adapts Sessions to the SessionService RPCs. */
export function sessionsRpc(sessions: Sessions): Partial<ServiceImpl<typeof SessionApi>> {
  return {
    async listSessions(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      const page = await sessions.list(caller.userId, req.limit || DEFAULT_PAGE_SIZE, req.pageToken);
      return { sessions: page.sessions.map((session) => sessionToPb(session, caller.sessionId)), nextPageToken: page.nextPageToken };
    },
    async revokeSession(req, ctx) {
      await sessions.revokeOwn(requirePrincipal(ctx.values.get(principalKey)), req.sessionId, ctx.values.get(originKey));
      return {};
    },
    async trustDevice(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      const session = await sessions.trustDevice(caller, req.sessionId, req.trusted, ctx.values.get(originKey));
      return { session: sessionToPb(session, caller.sessionId) };
    },
  };
}
