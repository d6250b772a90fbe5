import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { Logger } from "../../platform/logger.js";
import { requestIdKey } from "../context.js";
import { requestIdFrom } from "../request-id.js";

/**
 * createRequestLogInterceptor logs one line per call with its request id, method, code and
 * duration, and returns the request id in the x-request-id header. The handler gives each call its
 * id (see createHandler); a call that arrives without one gets one here. Messages are never
 * logged: they carry passwords and tokens.
 */
export function createRequestLogInterceptor(log: Logger): Interceptor {
  return (next) => async (req) => {
    const requestId = req.contextValues.get(requestIdKey) || requestIdFrom(req.header.get("x-request-id"));
    req.contextValues.set(requestIdKey, requestId);
    const started = performance.now();
    const fields = { requestId, rpc: `${req.service.typeName}/${req.method.name}` };
    try {
      const res = await next(req);
      res.header.set("x-request-id", requestId);
      log.info({ ...fields, code: "ok", ms: Math.round(performance.now() - started) }, "rpc");
      return res;
    } catch (error) {
      const code = error instanceof ConnectError ? codeToString(error.code) : "unknown";
      log.info({ ...fields, code, ms: Math.round(performance.now() - started) }, "rpc");
      if (error instanceof ConnectError) error.metadata.set("x-request-id", requestId);
      throw error;
    }
  };
}
