import type { ConnectRouter } from "@connectrpc/connect";
import { createAsyncIterable, encodeEnvelope, readAllBytes, type UniversalHandler, type UniversalServerResponse } from "@connectrpc/connect/protocol";
import { trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";

// connect decodes a binary request message before any interceptor runs and reports bytes that are
// no valid message as INTERNAL with this prefix. Such bytes are the client's fault.
const UNDECODABLE = "parse binary:";
const GRPC_INTERNAL = "13";
const GRPC_INVALID_ARGUMENT = "3";

/** In gRPC and gRPC-Web trailers: turns an undecodable-message status into INVALID_ARGUMENT. */
function fixTrailer(trailer: Headers): boolean {
  const message = trailer.get("grpc-message");
  if (trailer.get("grpc-status") !== GRPC_INTERNAL || !message || !decodeURIComponent(message).startsWith(UNDECODABLE)) return false;
  trailer.set("grpc-status", GRPC_INVALID_ARGUMENT);
  return true;
}

async function* fixGrpcWebTrailerFrame(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    // Each chunk is one whole envelope; the trailers come last, uncompressed, in a flagged frame.
    if (chunk[0] === trailerFlag) {
      const trailer = trailerParse(chunk.subarray(5));
      if (fixTrailer(trailer)) {
        yield encodeEnvelope(trailerFlag, trailerSerialize(trailer));
        continue;
      }
    }
    yield chunk;
  }
}

async function* fixGrpcTrailerAtEnd(body: AsyncIterable<Uint8Array>, trailer: Headers): AsyncIterable<Uint8Array> {
  yield* body;
  fixTrailer(trailer); // filled in while the body was produced
}

async function fixConnectUnaryError(res: UniversalServerResponse, body: AsyncIterable<Uint8Array>): Promise<UniversalServerResponse> {
  const bytes = await readAllBytes(body, Number.MAX_SAFE_INTEGER);
  let error: { code?: unknown; message?: unknown } = {};
  try {
    error = JSON.parse(new TextDecoder().decode(bytes)) as typeof error;
  } catch {
    // Not a Connect error body: pass it on untouched.
  }
  if (error.code !== "internal" || typeof error.message !== "string" || !error.message.startsWith(UNDECODABLE)) {
    return { ...res, body: createAsyncIterable([bytes]) };
  }
  const fixed = new TextEncoder().encode(JSON.stringify({ code: "invalid_argument", message: error.message }));
  res.header?.set("content-length", String(fixed.byteLength));
  return { ...res, status: 400, body: createAsyncIterable([fixed]) };
}

function fixResponse(res: UniversalServerResponse): UniversalServerResponse | Promise<UniversalServerResponse> {
  const { body } = res;
  if (!body) return res;
  if (res.trailer) return { ...res, body: fixGrpcTrailerAtEnd(body, res.trailer) };
  const contentType = res.header?.get("content-type") ?? "";
  if (contentType.startsWith("application/grpc-web")) return { ...res, body: fixGrpcWebTrailerFrame(body) };
  if (res.status === 500 && contentType.startsWith("application/json")) return fixConnectUnaryError(res, body);
  return res;
}

/**
 * answerUndecodableAsInvalidArgument makes every route of the router answer a request message
 * that cannot be decoded with INVALID_ARGUMENT in all three protocols, where connect answers
 * INTERNAL. Call it after the routes are registered.
 */
export function answerUndecodableAsInvalidArgument(router: ConnectRouter): void {
  router.handlers.forEach((handler, i) => {
    // Keep the handler's routing properties (service, method, path, protocols) on the wrapper.
    router.handlers[i] = Object.assign(async (req: Parameters<UniversalHandler>[0]) => fixResponse(await handler(req)), handler);
  });
}
