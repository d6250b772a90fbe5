import type { Interceptor } from "@connectrpc/connect";
import type { Logger } from "../../platform/logger.js";
import { requestIdKey } from "../context.js";
import { toConnectError } from "../errors.js";

/**
 * createErrorInterceptor turns every failure below it into a Connect error with the right code: a
 * unary call's, and a streamed response's, which fails while its messages are read, after this
 * interceptor has returned.
 */
export function createErrorInterceptor(log: Logger): Interceptor {
  return (next) => async (req) => {
    const mapped = (error: unknown) => toConnectError(error, log.child({ requestId: req.contextValues.get(requestIdKey), rpc: `${req.service.typeName}/${req.method.name}` }));
    try {
      const res = await next(req);
      return res.stream ? { ...res, message: mappingErrors(res.message, mapped) } : res;
    } catch (error) {
      throw mapped(error);
    }
  };
}

async function* mappingErrors<T>(messages: AsyncIterable<T>, mapped: (error: unknown) => Error): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw mapped(error);
  }
}
