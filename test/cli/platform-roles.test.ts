import fs from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "../../gen/platform/user/v1/auth_service_pb.js";
import { UserLifecycleService } from "../../gen/platform/user/v1/user_lifecycle_service_pb.js";
import { PlatformRoles } from "../../src/features/platform-roles/index.js";
import { createLogger } from "../../src/platform/logger.js";
import { RedisRevocationBus } from "../../src/platform/revocation-bus.js";
import { startTestApp, TEST_DATA_KEY, type TestApp } from "../support/app.js";
import { CLI_TIMEOUT_MS, keyFile, logLines, runCli, startServe, stopServe, useCliWorkspace, workDir, type Serving } from "../support/cli.js";
import { GOOD_PASSWORD, registerUser, uniqueEmail } from "../support/factories.js";
import { REDIS_URL, servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

useCliWorkspace();

/** operatorsView is ListUsers, an RPC only platform admins and support may call, as the token's user. */
const operatorsView = (client: Client<typeof UserLifecycleService>) =>
  client.listUsers({ limit: 1 }).then(
    () => "allowed",
    (error: unknown) => ((error as { code?: Code }).code === Code.PermissionDenied ? "denied" : Promise.reject(error)),
  );

/** becomesWithin polls until the operator's view is as expected, for at most limitMs; it says whether it became so. */
async function becomesWithin(client: Client<typeof UserLifecycleService>, expected: "allowed" | "denied", limitMs = 1_000): Promise<boolean> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    if ((await operatorsView(client)) === expected) return true;
    if (performance.now() >= deadline) return false;
    await sleep(20);
  }
}

describe("grant-role and revoke-role against a running embedded server", () => {
  let dataDir: string;
  let serving: Serving | undefined;
  beforeAll(async () => {
    dataDir = path.join(workDir, "embedded-data");
    serving = await startServe({ DATA_DIR: dataDir });
  }, CLI_TIMEOUT_MS);
  afterAll(async () => {
    if (serving) await stopServe(serving, "SIGKILL");
  });

  it("changes the role through the server, which its sessions see on their next call, audited; without a server, even a crashed one, it opens the database itself", async () => {
    const transport = (token?: string) =>
      createConnectTransport({
        baseUrl: `http://127.0.0.1:${serving!.port}`,
        httpVersion: "1.1",
        interceptors: [(next) => (req) => (token && req.header.set("authorization", `Bearer ${token}`), next(req))],
      });
    const email = uniqueEmail("operator");
    const { accessToken } = await createClient(AuthService, transport()).register({ email, password: GOOD_PASSWORD, fullName: "Future Operator" });
    const lifecycle = createClient(UserLifecycleService, transport(accessToken));
    expect(await operatorsView(lifecycle)).toBe("denied");

    const granted = await runCli(["grant-role", "--email", email, "--role", "support"], { DATA_DIR: dataDir });
    expect(granted.code).toBe(0);
    expect(logLines(granted.stdout).find((line) => line.msg === "role granted")).toBeDefined();
    // The server made the change and told its own sessions: the very next call counts it.
    expect(await operatorsView(lifecycle)).toBe("allowed");

    const revoked = await runCli(["revoke-role", "--email", email, "--role", "support"], { DATA_DIR: dataDir });
    expect(revoked.code).toBe(0);
    expect(logLines(revoked.stdout).find((line) => line.msg === "role revoked")).toBeDefined();
    expect(await operatorsView(lifecycle)).toBe("denied");

    const unknown = await runCli(["grant-role", "--email", uniqueEmail("nobody"), "--role", "support"], { DATA_DIR: dataDir });
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain("no account with email");

    // Only the data directory's owner may reach the channel.
    expect((await fs.stat(path.join(dataDir, "control"))).mode & 0o777).toBe(0o700);

    // A crashed server leaves its socket and lock behind: the verb finds nobody answering and opens the database itself.
    expect(await stopServe(serving!, "SIGKILL")).toBeNull();
    serving = undefined;
    await expect(fs.stat(path.join(dataDir, "control", "server.sock"))).resolves.toBeDefined();
    const offline = await runCli(["grant-role", "--email", email, "--role", "admin"], { DATA_DIR: dataDir });
    expect(offline.code).toBe(0);
    expect(logLines(offline.stdout).find((line) => line.msg === "role granted")).toBeDefined();
  }, 5 * CLI_TIMEOUT_MS);
});

describeWithServices("platform role changes across replicas", () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ replicaOf: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it("reach another replica that cached the session within 1 second, granted and revoked", async () => {
    const user = await registerUser(a);
    const onB = createClient(UserLifecycleService, b.transport({ token: user.accessToken }));
    // Replica b now holds the session's standing, without the role, for 5 s.
    expect(await operatorsView(onB)).toBe("denied");
    const roles = new PlatformRoles({ db: a.db, audit: a.app.context.audit, bus: new RedisRevocationBus(a.redis!, a.namespace), log: createLogger("silent") });
    await roles.grant(user.email, "support");
    expect(await becomesWithin(onB, "allowed")).toBe(true);
    await roles.revoke(user.email, "support");
    expect(await becomesWithin(onB, "denied")).toBe(true);
    const audit = await a.db.selectFrom("audit_trail").select(["action", "old_values", "new_values"]).where("resource_id", "=", user.userId).where("action", "like", "platform_role.%").orderBy("created_at").execute();
    expect(audit).toEqual([
      { action: "platform_role.grant", old_values: null, new_values: { role: "support" } },
      { action: "platform_role.revoke", old_values: { role: "support" }, new_values: null },
    ]);
  });

  it("are announced by the command line over REDIS_URL", async () => {
    const user = await registerUser(a);
    const heard: string[] = [];
    const listener = new RedisRevocationBus(a.redis!, a.namespace);
    await listener.subscribe({ sessionRevoked: () => undefined, userChanged: (userId) => heard.push(userId), reliabilityChanged: () => undefined });
    try {
      const env = { DATABASE_URL: a.database!.url, REDIS_URL, REDIS_KEY_PREFIX: a.namespace, JWT_PRIVATE_KEY_FILE: keyFile, DATA_ENCRYPTION_KEY: TEST_DATA_KEY.toString("base64") };
      const result = await runCli(["grant-role", "--email", user.email, "--role", "compliance_officer"], env);
      expect(result.code).toBe(0);
      await sleep(200);
      expect(heard).toContain(user.userId);
    } finally {
      await listener.close();
    }
  }, CLI_TIMEOUT_MS);
});
