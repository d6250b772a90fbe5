// Background jobs end to end: registrations queue verify-identity jobs while no worker runs (the
// service relays them to Redis), then one `user-service worker` process verifies them all. The
// figure is decisions per second from the worker being ready to the last user decided: fetching
// from BullMQ, screening the name, and the transaction that records the decision, its audit, the
// compliance profile and the account's activation.
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { AuthService } from "../gen/platform/user/v1/auth_service_pb.js";
import { loadConfig } from "../src/config.js";
import { RawConnectClient } from "./raw-client.js";
import { deploy, startProcess, stopProcess } from "./services.js";

/** USERS is how many registrations the worker verifies in the measurement. */
const USERS = 2_000;
const PASSWORD = "violet-harbor-lantern-91";

/** JobFigures are the jobs' figures in bench/results.json. */
export interface JobFigures {
  users: number;
  worker_concurrency: number;
  verifications_per_s: number;
}

/** decided counts the users whose verification was decided. */
async function decided(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: string }>("select count(*) from users where verification_status <> 'pending'");
    return Number(rows[0]!.count);
  } finally {
    await client.end();
  }
}

/** measureVerifications registers USERS users, concurrency at a time, then times one worker process verifying them. */
export async function measureVerifications(sanctionsFile: string, concurrency: number): Promise<JobFigures> {
  const deployment = await deploy({ SANCTIONS_LIST_FILE: sanctionsFile });
  const log = path.join(os.tmpdir(), "user-service-bench-jobs.log");
  try {
    const serve = await startProcess(["bin/user-service.js", "serve", "--migrate"], deployment.env, log);
    try {
      const client = new RawConnectClient(`http://127.0.0.1:${serve.port}`);
      for (let first = 0; first < USERS; first += concurrency) {
        await Promise.all(
          Array.from({ length: Math.min(concurrency, USERS - first) }, (_, i) =>
            client.call(AuthService.method.register, { email: `bench.job.${first + i}@bench-trading.co.uk`, password: PASSWORD, fullName: `Bench Trader ${first + i}` }),
          ),
        );
      }
      client.close();
      // The worker's admin port accepting is the worker being ready: it starts its workers right after.
      const worker = await startProcess(["bin/user-service.js", "worker"], deployment.env, log, "ADMIN_PORT");
      const started = performance.now();
      try {
        while ((await decided(deployment.databaseUrl)) < USERS) await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        await stopProcess(worker.child);
      }
      const seconds = (performance.now() - started) / 1000;
      return { users: USERS, worker_concurrency: loadConfig(deployment.env).jobs.concurrency, verifications_per_s: Math.round(USERS / seconds) };
    } finally {
      await stopProcess(serve.child);
    }
  } finally {
    await deployment.close();
  }
}
