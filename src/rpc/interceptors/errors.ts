import type { Interceptor } from "@connectrpc/connect";
import type { Logger } from "../../platform/logger.js";
import { requestIdKey } from "../context.js";
import { toConnectError } from "../errors.js";

/** createErrorInterceptor turns every failure below it into a Connect error with the right code. */
export function createErrorInterceptor(log: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (error) {
      throw toConnectError(error, log.child({ requestId: req.contextValues.get(requestIdKey), rpc: `${req.service.typeName}/${req.method.name}` }));
    }
  };
}
