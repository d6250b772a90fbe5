import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { Counter, Histogram, type Registry } from "prom-client";

/** createMetricsInterceptor counts calls and records their latency per RPC and result code. */
export function createMetricsInterceptor(registry: Registry): Interceptor {
  const labelNames = ["service", "method", "code"] as const;
  const calls = new Counter({ name: "rpc_requests_total", help: "RPCs handled, by service, method and code.", labelNames, registers: [registry] });
  const latency = new Histogram({
    name: "rpc_request_duration_seconds",
    help: "RPC handling time in seconds, by service, method and code.",
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return (next) => async (req) => {
    const stopTimer = latency.startTimer();
    let code = "ok";
    try {
      return await next(req);
    } catch (error) {
      code = error instanceof ConnectError ? codeToString(error.code) : "unknown";
      throw error;
    } finally {
      const labels = { service: req.service.typeName, method: req.method.name, code };
      calls.inc(labels);
      stopTimer(labels);
    }
  };
}
