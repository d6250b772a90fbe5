import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type TextMapGetter } from "@opentelemetry/api";
import { tracer } from "../../platform/tracer.js";
import { INFRASTRUCTURE_SERVICES } from "../access-rules.js";
import { principalKey } from "../context.js";

// The RPC attributes under the names gRPC and Connect instrumentations emit and tracing back ends
// read (rpc.method is the method alone). Semantic conventions 1.45 renames them (rpc.system.name, a
// fully-qualified rpc.method), which instrumentations adopt only when users opt in.
const RPC_SYSTEM = "rpc.system";
const RPC_SERVICE = "rpc.service";
const RPC_METHOD = "rpc.method";
const RPC_GRPC_STATUS_CODE = "rpc.grpc.status_code";
const RPC_CONNECT_RPC_ERROR_CODE = "rpc.connect_rpc.error_code";
/** An opaque id (a UUID): the only thing about the caller a span carries. */
const USER_ID = "user.id";

/** The codes that are the server's failing, not the caller's: only they mark a server span as an error (semantic conventions for gRPC). */
const SERVER_FAULTS: ReadonlySet<Code> = new Set([Code.Unknown, Code.DeadlineExceeded, Code.Unimplemented, Code.Internal, Code.Unavailable, Code.DataLoss]);

const fromHeaders: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

/** rpcSystem is the protocol a call came in, as semantic conventions name it; gRPC-Web counts as gRPC, as Connect's own instrumentation reports it. */
function rpcSystem(contentType: string | null): "grpc" | "connect_rpc" {
  return contentType && /^application\/grpc/i.test(contentType) ? "grpc" : "connect_rpc";
}

/**
 * createTracingInterceptor gives every API call a server span named `package.Service/Method`,
 * continuing the caller's trace when it sends a W3C `traceparent`. It must come first: the span
 * covers the whole call, the interceptors after it included, and a streamed response until its last
 * message is sent, fails or is given up. Work done for the call (queries, jobs queued) is in the
 * span's context. A span carries the method, the status code and the caller's user id, never a
 * message, a header or an error's text. Health checks and reflection are not traced: probes would
 * drown the calls.
 */
export function createTracingInterceptor(): Interceptor {
  return (next) => async (req) => {
    if (INFRASTRUCTURE_SERVICES.has(req.service)) return next(req);
    const system = rpcSystem(req.header.get("content-type"));
    const parent = propagation.extract(context.active(), req.header, fromHeaders);
    const span = tracer().startSpan(
      `${req.service.typeName}/${req.method.name}`,
      { kind: SpanKind.SERVER, attributes: { [RPC_SYSTEM]: system, [RPC_SERVICE]: req.service.typeName, [RPC_METHOD]: req.method.name } },
      parent,
    );
    const active = trace.setSpan(parent, span);
    const end = (error: unknown) => {
      const code = error === undefined ? undefined : error instanceof ConnectError ? error.code : Code.Unknown;
      // Set by authentication, further in: known once the call has run.
      const caller = req.contextValues.get(principalKey);
      if (caller) span.setAttribute(USER_ID, caller.userId);
      if (system === "grpc") span.setAttribute(RPC_GRPC_STATUS_CODE, code ?? 0);
      else if (code !== undefined) span.setAttribute(RPC_CONNECT_RPC_ERROR_CODE, codeToString(code));
      if (code !== undefined && SERVER_FAULTS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: codeToString(code) });
      span.end();
    };
    let res;
    try {
      res = await context.with(active, () => next(req));
    } catch (error) {
      end(error);
      throw error;
    }
    if (res.stream) return { ...res, message: tracedUntilEnd(res.message, active, end) };
    end(undefined);
    return res;
  };
}

/**
 * tracedUntilEnd passes a stream's messages on, producing each in the call's context (the handler's
 * generator runs only as messages are read, outside the interceptor), and ends the span when the
 * stream ends: sent whole, failed, or given up by the client.
 */
async function* tracedUntilEnd<T>(messages: AsyncIterable<T>, active: Context, end: (error: unknown) => void): AsyncIterable<T> {
  const iterator = context.with(active, () => messages[Symbol.asyncIterator]());
  let outcome: { error: unknown } | undefined;
  try {
    for (;;) {
      const next = await context.with(active, () => iterator.next());
      if (next.done) break;
      yield next.value;
    }
    outcome = { error: undefined };
  } catch (error) {
    outcome = { error };
    throw error;
  } finally {
    if (!outcome) {
      // The client stopped reading: let the handler's generator clean up, as `yield*` would.
      await context.with(active, async () => iterator.return?.()).catch(() => undefined);
    }
    end(outcome ? outcome.error : new ConnectError("the client stopped reading", Code.Canceled));
  }
}
