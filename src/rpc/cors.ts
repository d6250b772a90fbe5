import { cors } from "@connectrpc/connect";
import type { NodeRequest, NodeResponse } from "./node-handler.js";

const allowHeaders = [...cors.allowedHeaders, "Authorization", "X-Request-Id"].join(", ");
const exposeHeaders = [...cors.exposedHeaders, "X-Request-Id", "X-Error-Reason", "Retry-After"].join(", ");

/**
 * createCors lets browsers on the configured origins call the API with Connect-Web or gRPC-Web.
 * It adds the CORS headers to responses for those origins and answers preflight requests itself,
 * returning true when the request was fully handled. Other origins get no CORS headers at all.
 */
export function createCors(allowedOrigins: readonly string[]) {
  const allowed = new Set(allowedOrigins);
  return (req: NodeRequest, res: NodeResponse): boolean => {
    if (allowed.size === 0) return false;
    // Answers differ by origin: shared caches must not hand one origin's answer to another.
    res.setHeader("vary", "Origin");
    const origin = req.headers.origin;
    if (!origin || !allowed.has(origin)) return false;
    res.setHeader("access-control-allow-origin", origin);
    if (req.method !== "OPTIONS") {
      res.setHeader("access-control-expose-headers", exposeHeaders);
      return false;
    }
    res.writeHead(204, {
      "access-control-allow-methods": cors.allowedMethods.join(", "),
      "access-control-allow-headers": allowHeaders,
      "access-control-max-age": "7200",
    });
    res.end();
    return true;
  };
}
