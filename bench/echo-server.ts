// The echo baseline: connect-node on the same one-port server, answering grpc.health.v1.Health/Check
// with no interceptors, no storage and no logging — the ceiling for any RPC on this stack.
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/platform/logger.js";
import { startServer } from "../src/rpc/server.js";

const handler = connectNodeAdapter({
  routes: (router) => router.service(Health, { check: () => ({ status: HealthCheckResponse_ServingStatus.SERVING }) }),
});
const server = await startServer({
  handler,
  host: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  graceMs: 1_000,
  limits: loadConfig({}).connections,
  log: createLogger("info"),
});
process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
