import net from "node:net";

/** Where the test suites find Postgres (an admin connection) and Redis. */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.setTimeout(1_000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** probeServices names the backing services that cannot be reached (none: an empty list). */
export async function probeServices(): Promise<string[]> {
  const [pg, redis] = await Promise.all([reachable(POSTGRES_ADMIN_URL), reachable(REDIS_URL)]);
  return [!pg && "PostgreSQL", !redis && "Redis"].filter((name): name is string => Boolean(name));
}

/**
 * servicesAvailable says whether Postgres and Redis can be reached, as the run's global set-up
 * found (it reports their absence once, or fails the run under REQUIRE_SERVICES=1). Suites that
 * need them skip without them.
 */
export async function servicesAvailable(): Promise<boolean> {
  const known = process.env.TEST_SERVICES;
  if (known) return known === "available";
  const missing = await probeServices();
  if (missing.length > 0 && process.env.REQUIRE_SERVICES === "1") throw new Error(`REQUIRE_SERVICES=1 but ${missing.join(" and ")} cannot be reached`);
  return missing.length === 0;
}
