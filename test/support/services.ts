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

/**
 * servicesAvailable says whether Postgres and Redis can be reached. Suites that need them skip
 * without them, unless REQUIRE_SERVICES=1 (CI), where their absence is a failure.
 */
export async function servicesAvailable(): Promise<boolean> {
  const [pg, redis] = await Promise.all([reachable(POSTGRES_ADMIN_URL), reachable(REDIS_URL)]);
  if (pg && redis) return true;
  const missing = [!pg && "PostgreSQL", !redis && "Redis"].filter(Boolean).join(" and ");
  if (process.env.REQUIRE_SERVICES === "1") throw new Error(`REQUIRE_SERVICES=1 but ${missing} cannot be reached`);
  process.stderr.write(`${missing} not reachable: skipping the suites that need them\n`);
  return false;
}
