import type { Registry } from "prom-client";
import type { NodeHandler } from "./handler.js";
import type { ReadinessProbe } from "./health.js";

type Response = Parameters<NodeHandler>[1];

export interface HttpRoutesOptions {
  ready: ReadinessProbe;
  metrics: Registry;
  jwks: () => unknown;
}

function send(res: Response, status: number, contentType: string, body: string, extraHeaders: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store", ...extraHeaders });
  res.end(body);
}

/**
 * createHttpRoutes serves the plain HTTP endpoints: /healthz (process up), /readyz (dependencies
 * reachable), /metrics (Prometheus) and /.well-known/jwks.json (access-token keys).
 */
export function createHttpRoutes(options: HttpRoutesOptions): NodeHandler {
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 404, "application/json", JSON.stringify({ code: "not_found", message: "no such endpoint" }));
      return;
    }
    switch (path) {
      case "/healthz":
        send(res, 200, "application/json", JSON.stringify({ status: "ok" }));
        return;
      case "/readyz":
        void options.ready().then((ok) =>
          send(res, ok ? 200 : 503, "application/json", JSON.stringify({ status: ok ? "ready" : "unavailable" })),
        );
        return;
      case "/metrics":
        options.metrics.metrics().then(
          (text) => send(res, 200, options.metrics.contentType, text),
          () => send(res, 500, "text/plain", "metrics unavailable"),
        );
        return;
      case "/.well-known/jwks.json":
        send(res, 200, "application/jwk-set+json", JSON.stringify(options.jwks()), { "cache-control": "public, max-age=300" });
        return;
      default:
        send(res, 404, "application/json", JSON.stringify({ code: "not_found", message: "no such endpoint" }));
    }
  };
}
