import { createContextValues, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { clientAddress } from "./client-address.js";
import { originKey, requestIdKey } from "./context.js";
import { createCors } from "./cors.js";
import type { NodeHandler, NodeRequest, NodeResponse } from "./node-handler.js";
import { requestIdFrom } from "./request-id.js";
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
}

/**
 * createHandler serves every RPC route in the three protocols, and the plain HTTP endpoints for
 * other paths. An RPC call with a content type no protocol speaks is answered as a Connect
 * INVALID_ARGUMENT error, where the adapter alone would answer a bare 415.
 */
export function createHandler(options: HandlerOptions) {
  const adapter = connectNodeAdapter({
    routes: (router) => {
      options.routes(router);
      answerUndecodableAsInvalidArgument(router);
    },
    interceptors: options.interceptors,
    fallback: options.fallback,
    readMaxBytes: options.readMaxBytes,
    // Zero values are meaningful in the seed messages (PENDING, EMAIL): always spell them out in JSON.
    // Unknown fields and enum names are refused, not silently dropped: a typo must not change meaning.
    jsonOptions: { alwaysEmitImplicit: true, ignoreUnknownFields: false },
    // The request id is made here, not in the request-log interceptor, so the origin services see carries it.
    contextValues: (req) => {
      const requestId = requestIdFrom(req.headers["x-request-id"]);
      const origin = { ipAddress: clientAddress(req, options.trustedProxyHops), userAgent: req.headers["user-agent"]?.slice(0, 512), requestId };
      return createContextValues().set(requestIdKey, requestId).set(originKey, origin);
    },
  });
  const applyCors = createCors(options.corsOrigins);
  return (req: NodeRequest, res: NodeResponse): void => {
    if (applyCors(req, res)) return;
    const isRpcPath = req.method === "POST" && /^\/[\w.]+\.\w+\/\w+$/.test(req.url ?? "");
    if (isRpcPath && !RPC_CONTENT_TYPE.test(req.headers["content-type"] ?? "")) {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "invalid_argument", message: "content-type: unsupported; use application/json, application/proto, application/grpc or application/grpc-web" }));
      return;
    }
    adapter(req, res);
  };
}
