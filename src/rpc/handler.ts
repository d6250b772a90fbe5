import { Code, ConnectError, createConnectRouter, createContextValues, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import type { Logger } from "pino";
import { clientAddress } from "./client-address.js";
import { originKey, requestIdKey } from "./context.js";
import { createCors } from "./cors.js";
import type { NodeHandler, NodeRequest, NodeResponse } from "./node-handler.js";
import { requestIdFrom } from "./request-id.js";
import { restRoutes } from "./rest/http-rules.js";
import { createRestTranscoder } from "./rest/transcoder.js";
import { API_SERVICES } from "./router.js";
import { answerUndecodableAsInvalidArgument } from "./undecodable.js";

// Content types of the Connect, gRPC and gRPC-Web protocols, in their JSON and binary codecs.
const RPC_CONTENT_TYPE = /^application\/(json|proto|connect\+(json|proto)|grpc(-web(-text)?)?(\+(json|proto))?)\s*(;.*)?$/i;

/** HandlerOptions configure the request handler: the routes, their interceptors and the HTTP concerns around them. */
export interface HandlerOptions {
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  fallback: NodeHandler;
  readMaxBytes: number;
  /** Browser origins allowed to call the API (CORS). */
  corsOrigins: readonly string[];
  /** How many proxies in front of the service append to X-Forwarded-For. */
  trustedProxyHops: number;
  log: Logger;
}

/**
 * createHandler serves every RPC route in the three protocols, the REST paths the protos declare
 * (transcoded to the same RPC handlers), and the plain HTTP endpoints for other paths. An RPC call
 * with a content type no protocol speaks is answered as a Connect INVALID_ARGUMENT error, where
 * connect alone would answer a bare 415.
 */
export function createHandler(options: HandlerOptions) {
  const router = createConnectRouter({
    interceptors: options.interceptors,
    readMaxBytes: options.readMaxBytes,
    acceptCompression: [compressionGzip, compressionBrotli],
    // Zero values are meaningful in the seed messages (PENDING, EMAIL): always spell them out in JSON.
    // Unknown fields and enum names are refused, not silently dropped: a typo must not change meaning.
    jsonOptions: { alwaysEmitImplicit: true, ignoreUnknownFields: false },
  });
  options.routes(router);
  answerUndecodableAsInvalidArgument(router);
  const rpcHandlers = new Map<string, UniversalHandler>(router.handlers.map((handler) => [handler.requestPath, handler]));
  // The request id is made here, not in the request-log interceptor, so the origin services see carries it.
  const contextValues = (req: NodeRequest) => {
    const requestId = requestIdFrom(req.headers["x-request-id"]);
    const origin = { ipAddress: clientAddress(req, options.trustedProxyHops), userAgent: req.headers["user-agent"]?.slice(0, 512), requestId };
    return createContextValues().set(requestIdKey, requestId).set(originKey, origin);
  };
  const serveRest = createRestTranscoder({ routes: restRoutes(API_SERVICES), handlers: rpcHandlers, contextValues, readMaxBytes: options.readMaxBytes, log: options.log });
  const applyCors = createCors(options.corsOrigins);
  return (req: NodeRequest, res: NodeResponse): void => {
    if (applyCors(req, res)) return;
    const path = (req.url ?? "").split("?", 1)[0] ?? "";
    const rpc = rpcHandlers.get(path);
    if (!rpc) {
      if (!serveRest(req, res)) options.fallback(req, res);
      return;
    }
    if (req.method === "POST" && !RPC_CONTENT_TYPE.test(req.headers["content-type"] ?? "")) {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "invalid_argument", message: "content-type: unsupported; use application/json, application/proto, application/grpc or application/grpc-web" }));
      return;
    }
    serveRpc(rpc, req, res, contextValues(req), options.log);
  };
}

// As connect-node's adapter does it; kept here so that RPC and REST calls share one router.
function serveRpc(rpc: UniversalHandler, req: NodeRequest, res: NodeResponse, contextValues: ReturnType<typeof createContextValues>, log: Logger): void {
  rpc(universalRequestFromNodeRequest(req, res, undefined, contextValues))
    .then((answer) => universalResponseToNodeResponse(answer, res))
    .catch((reason: unknown) => {
      if (ConnectError.from(reason).code === Code.Aborted) return;
      log.error({ err: reason, rpc: `${rpc.service.typeName}/${rpc.method.name}` }, "rpc handler failed");
    });
}
