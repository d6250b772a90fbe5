import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { context, diag, DiagLogLevel, propagation, trace, type DiagLogFunction, type DiagLogger } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import type { Config } from "../config.js";
import { withTimeout } from "../shared/with-timeout.js";
import type { Logger } from "./logger.js";

/** Tracing is this process's span export (README: "Tracing"). */
export interface Tracing {
  /** shutdown sends the spans still buffered, then unregisters the provider; later calls wait for the first. */
  shutdown(): Promise<void>;
}

/** How long shutdown waits for the last spans to reach the collector: an unreachable one must not hold the stop up. */
const FLUSH_TIMEOUT_MS = 5_000;

const OFF: Tracing = { shutdown: async () => undefined };

/** The provider this process registered, while it is registered: the API takes one per process. */
let registered: NodeTracerProvider | undefined;

/** serviceVersion is the version in the service's package.json, the nearest up from this module (under src/, or dist/src/ once built). */
function serviceVersion(): string | undefined {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (manifest.name === "user-service") return manifest.version;
    } catch {
      // No package.json here: look further up.
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** diagnosticsTo routes OpenTelemetry's own warnings (a collector that cannot be reached, spans dropped) to the service's log. */
function diagnosticsTo(log: Logger): DiagLogger {
  const to =
    (level: "error" | "warn" | "info" | "debug"): DiagLogFunction =>
    (message, ...args) =>
      log[level]({ detail: args.map(String) }, `opentelemetry: ${message}`);
  return { error: to("error"), warn: to("warn"), info: to("info"), debug: to("debug"), verbose: to("debug") };
}

/**
 * startTracing registers an OpenTelemetry tracer provider when config names where spans go: spans
 * are batched and sent over OTLP/HTTP (protobuf), with the resource's service.name and
 * service.version, and W3C trace context is what is read from and written to calls and jobs. The
 * exporter, the batching and the sampler read their other standard OTEL_* variables themselves.
 * Without an endpoint nothing is registered: every span the service starts is the API's no-op one.
 */
export function startTracing(config: Config["tracing"], log: Logger): Tracing {
  if (!config.tracesUrl) return OFF;
  if (registered) {
    log.warn("tracing is already set up in this process: spans go where it sends them");
    return OFF;
  }
  const version = serviceVersion();
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, ...(version && { [ATTR_SERVICE_VERSION]: version }) }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracesUrl }))] });
  diag.setLogger(diagnosticsTo(log), DiagLogLevel.WARN);
  // Trace context only: baggage a caller sends is not taken in, so none of it reaches job rows or logs.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  registered = provider;
  // Without credentials a URL may carry in its user info or query.
  const { protocol, host, pathname } = new URL(config.tracesUrl);
  log.info({ tracesUrl: `${protocol}//${host}${pathname}`, serviceName: config.serviceName }, "sending traces over OTLP");
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      try {
        await withTimeout(provider.shutdown(), FLUSH_TIMEOUT_MS);
      } catch (error) {
        log.warn({ err: error }, "the last spans could not be sent before shutdown");
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
        diag.disable();
        registered = undefined;
      }
    })());
  return { shutdown };
}
