import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";

/** ReadinessProbe reports whether the service can do its work (database and Redis reachable). */
export type ReadinessProbe = () => Promise<boolean>;

/**
 * registerHealth serves grpc.health.v1.Health. The overall service ("") and each named service
 * report SERVING while the readiness probe passes; Watch re-checks every few seconds until the
 * client leaves or `stopping` aborts (shutdown must not wait for watchers that never end).
 */
export function registerHealth(
  router: ConnectRouter,
  serviceNames: string[],
  ready: ReadinessProbe,
  stopping: AbortSignal,
  watchIntervalMs = 5_000,
): void {
  const known = new Set(["", ...serviceNames]);
  const statusOf = async (service: string) => {
    if (!known.has(service)) return ServingStatus.SERVICE_UNKNOWN;
    return (await ready()) ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  };
  router.service(Health, {
    async check(req) {
      if (!known.has(req.service)) throw new ConnectError(`unknown service ${req.service}`, Code.NotFound);
      return { status: await statusOf(req.service) };
    },
    async list() {
      const statuses: Record<string, { status: ServingStatus }> = {};
      for (const name of known) statuses[name] = { status: await statusOf(name) };
      return { statuses };
    },
    async *watch(req, ctx) {
      const done = AbortSignal.any([ctx.signal, stopping]);
      let last: ServingStatus | undefined;
      while (!done.aborted) {
        const status = await statusOf(req.service);
        if (status !== last) yield { status };
        last = status;
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            done.removeEventListener("abort", wake);
            resolve();
          };
          const timer = setTimeout(wake, watchIntervalMs);
          done.addEventListener("abort", wake);
        });
      }
    },
  });
}
