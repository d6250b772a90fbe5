import { randomUUID } from "node:crypto";
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { Logger } from "../../platform/logger.js";
import { requestIdKey } from "../context.js";

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * createRequestLogInterceptor gives each call a request id (the caller's x-request-id when it is
 * well-formed) and logs one line per call with its method, code and duration. Messages are never
 * logged: they carry passwords and tokens.
 */
export function createRequestLogInterceptor(log: Logger): Interceptor {
  return (next) => async (req) => {
    const given = req.header.get("x-request-id");
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
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
