import type { Registry } from "prom-client";
import { openApiDocument } from "../../gen/openapi.js";
import type { ReadinessProbe } from "./health.js";
import type { NodeHandler, NodeResponse } from "./node-handler.js";

/** HttpRoutesOptions are what the plain HTTP endpoints (probes, metrics, JWKS) answer from. */
export interface HttpRoutesOptions {
  ready: ReadinessProbe;
  metrics: Registry;
  jwks: () => unknown;
}

function send(res: NodeResponse, status: number, contentType: string, body: string, extraHeaders: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store", ...extraHeaders });
  res.end(body);
}

/** HttpEndpoint is a plain HTTP endpoint the service can answer. */
export type HttpEndpoint = "/healthz" | "/readyz" | "/metrics" | "/.well-known/jwks.json" | "/openapi.json";

/** PUBLIC_ENDPOINTS are always served on the public port: load balancers probe it, clients fetch the keys and the REST description. */
export const PUBLIC_ENDPOINTS: readonly HttpEndpoint[] = ["/healthz", "/readyz", "/.well-known/jwks.json", "/openapi.json"];

/** ADMIN_ENDPOINTS are for operators: on the admin port when there is one, else on the public port too. */
export const ADMIN_ENDPOINTS: readonly HttpEndpoint[] = ["/healthz", "/readyz", "/metrics"];

/**
 * createHttpRoutes serves the given plain HTTP endpoints: /healthz (process up), /readyz
 * (dependencies reachable), /metrics (Prometheus), /.well-known/jwks.json (access-token keys) and
 * /openapi.json (the REST paths' OpenAPI document).
 * Any other path, or a method other than GET and HEAD, answers 404.
 */
export function createHttpRoutes(options: HttpRoutesOptions, endpoints: readonly HttpEndpoint[]): NodeHandler {
  const openApi = JSON.stringify(openApiDocument);
  const routes: Record<HttpEndpoint, (res: NodeResponse) => void> = {
    "/healthz": (res) => send(res, 200, "application/json", JSON.stringify({ status: "ok" })),
    "/readyz": (res) =>
      void options.ready().then((ok) => send(res, ok ? 200 : 503, "application/json", JSON.stringify({ status: ok ? "ready" : "unavailable" }))),
    "/metrics": (res) =>
      void options.metrics.metrics().then(
        (text) => send(res, 200, options.metrics.contentType, text),
        () => send(res, 500, "text/plain", "metrics unavailable"),
      ),
    "/.well-known/jwks.json": (res) =>
      send(res, 200, "application/jwk-set+json", JSON.stringify(options.jwks()), { "cache-control": "public, max-age=300" }),
    "/openapi.json": (res) => send(res, 200, "application/json", openApi, { "cache-control": "public, max-age=300" }),
  };
  const served = new Map<string, (res: NodeResponse) => void>(endpoints.map((endpoint) => [endpoint, routes[endpoint]]));
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const route = req.method === "GET" || req.method === "HEAD" ? served.get(path) : undefined;
    if (route) route(res);
    else send(res, 404, "application/json", JSON.stringify({ code: "not_found", message: "no such endpoint" }));
  };
}
