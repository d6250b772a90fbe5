// Batch verification: users registered while no worker runs wait for verification; a compliance
// officer's VerifyUsers then verifies 100 of them, and then 1,000 others, each call within its
// 500 ms budget. The figures are each call's time and how many users it decided in it.
import { execFile } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { AuthService } from "../gen/platform/user/v1/auth_service_pb.js";
import { BatchVerificationOutcome, ComplianceService } from "../gen/platform/user/v1/compliance_service_pb.js";
import { RawConnectClient } from "./raw-client.js";
import { deploy, root, startProcess, stopProcess } from "./services.js";

const PASSWORD = "violet-harbor-lantern-91";

/** BatchFigures are the batch figures in bench/results.json. */
export interface BatchFigures {
  users_100_ms: number;
  users_100_decided: number;
  users_1000_ms: number;
  users_1000_decided: number;
}

/** measureBatches registers 1,100 users, concurrency at a time, and times VerifyUsers for 100 and then 1,000 of them. */
export async function measureBatches(sanctionsFile: string, concurrency: number): Promise<BatchFigures> {
  const deployment = await deploy({ SANCTIONS_LIST_FILE: sanctionsFile });
  try {
    const serve = await startProcess(["bin/user-service.js", "serve", "--migrate"], deployment.env, path.join(os.tmpdir(), "user-service-bench-batch.log"));
    try {
      const client = new RawConnectClient(`http://127.0.0.1:${serve.port}`);
      const officerEmail = "bench.officer@bench-trading.co.uk";
      await client.call(AuthService.method.register, { email: officerEmail, password: PASSWORD, fullName: "Bench Officer" });
      await promisify(execFile)(process.execPath, ["bin/user-service.js", "grant-role", "--email", officerEmail, "--role", "compliance_officer"], { cwd: root, env: { ...process.env, ...deployment.env } });
      const signedIn = await client.call(AuthService.method.login, { email: officerEmail, password: PASSWORD });
      if (signedIn.result.case !== "tokens") throw new Error("the officer's sign-in asked for a second factor");
      const officer = { authorization: `Bearer ${signedIn.result.value.accessToken}` };

      const userIds: string[] = [];
      for (let first = 0; first < 1_100; first += concurrency) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(concurrency, 1_100 - first) }, (_, i) =>
            client.call(AuthService.method.register, { email: `bench.batch.${first + i}@bench-trading.co.uk`, password: PASSWORD, fullName: `Bench Trader ${first + i}` }),
          ),
        );
        userIds.push(...batch.map((registered) => registered.userId));
      }
      const timed = async (ids: string[]) => {
        const started = performance.now();
        const { results } = await client.call(ComplianceService.method.verifyUsers, { userIds: ids }, officer);
        const ms = Math.round(performance.now() - started);
        return { ms, decided: results.filter((result) => result.outcome !== BatchVerificationOutcome.TIMED_OUT).length };
      };
      const hundred = await timed(userIds.slice(0, 100));
      const thousand = await timed(userIds.slice(100));
      client.close();
      return { users_100_ms: hundred.ms, users_100_decided: hundred.decided, users_1000_ms: thousand.ms, users_1000_decided: thousand.decided };
    } finally {
      await stopProcess(serve.child);
    }
  } finally {
    await deployment.close();
  }
}
