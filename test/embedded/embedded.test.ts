import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService, type LoginResponse } from "../../gen/platform/user/v1/auth_service_pb.js";
import { ProfileService } from "../../gen/platform/user/v1/profile_service_pb.js";
import { startApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { GOOD_PASSWORD, uniqueEmail } from "../support/factories.js";

interface Clients {
  auth: (token?: string) => Client<typeof AuthService>;
  profile: (token?: string) => Client<typeof ProfileService>;
}

function clientsFor(baseUrl: string): Clients {
  const transport = (token?: string) =>
    createConnectTransport({
      baseUrl,
      httpVersion: "2",
      interceptors: [
        (next) => (req) => {
          if (token) req.header.set("authorization", `Bearer ${token}`);
          return next(req);
        },
      ],
    });
  return { auth: (token) => createClient(AuthService, transport(token)), profile: (token) => createClient(ProfileService, transport(token)) };
}

const signUp = (clients: Clients, email = uniqueEmail("embedded")) =>
  clients.auth().register({ email, password: GOOD_PASSWORD, fullName: "Embedded Tester" }).then((res) => ({ ...res, email }));

function accessTokenOf(login: LoginResponse): string {
  if (login.result.case !== "tokens") throw new Error(`expected tokens, got ${login.result.case}`);
  return login.result.value.accessToken;
}

describe("embedded mode (PGlite, no Redis)", () => {
  let t: TestApp;
  let clients: Clients;
  beforeAll(async () => {
    t = await startTestApp({ embedded: true });
    clients = clientsFor(t.baseUrl);
  });
  afterAll(() => t?.close());

  it("runs on PGlite without Redis", () => {
    expect(t.app.mode).toBe("embedded");
    expect(t.redis).toBeUndefined();
  });

  describe("AuthService", () => {
    it("signs up, signs in, reads and updates the profile, and signs out", async () => {
      const registered = await signUp(clients);
      const token = accessTokenOf(await clients.auth().login({ email: registered.email, password: GOOD_PASSWORD }));

      const before = await clients.profile(token).getProfile({});
      expect(before).toMatchObject({ userId: registered.userId, email: registered.email, fullName: "Embedded Tester" });

      await clients.profile(token).updateProfile({ fullName: "Renamed Tester" });
      expect((await clients.profile(token).getProfile({})).fullName).toBe("Renamed Tester");

      await clients.auth(token).logout({});
      await expect(clients.profile(token).getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
      // Signing out ends only that session: the one Register opened still works.
      await expect(clients.profile(registered.accessToken).getProfile({})).resolves.toMatchObject({ userId: registered.userId });
    });

    describe("Register", () => {
      it("answers INVALID_ARGUMENT for a malformed email", async () => {
        await expect(signUp(clients, "not-an-email")).rejects.toMatchObject({ code: Code.InvalidArgument });
      });

      it("answers ALREADY_EXISTS for an email already registered", async () => {
        const { email } = await signUp(clients);
        await expect(signUp(clients, email.toUpperCase())).rejects.toMatchObject({ code: Code.AlreadyExists });
      });
    });
  });

  describe("activity", () => {
    it("records calls in the month's partition and rolls them up on PGlite", async () => {
      const { userId } = await signUp(clients);
      await t.app.context.activityRecorder.flush();

      const rows = await t.db.selectFrom("user_activities").select("method").where("user_id", "=", userId).execute();
      expect(rows.map((row) => row.method)).toEqual(["AuthService/Register"]);
      expect(await t.app.context.activity.rollUp()).toBeGreaterThan(0);
    });
  });

  describe("audit trail", () => {
    it("chains the lanes, signs a checkpoint and verifies both on PGlite", async () => {
      await signUp(clients);
      expect(await t.app.context.auditTrail.checkpoint()).toBeGreaterThan(0);

      const report = await t.app.context.auditTrail.verify();

      expect(report).toMatchObject({ valid: true, checkpoints: 1 });
      expect(report.checked).toBeGreaterThan(0);
    });
  });
});

describe("embedded mode across restarts", () => {
  let dataDir: string;
  let app: App | undefined;
  const config = () => loadConfig({ DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" });
  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-embedded-"));
  });
  afterAll(async () => {
    await app?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("keeps accounts, sessions and the generated signing key under DATA_DIR", async () => {
    app = await startApp(config());
    expect(app.mode).toBe("embedded");
    const registered = await signUp(clientsFor(`http://127.0.0.1:${app.port}`));
    await app.close();
    app = undefined;

    const keyFile = path.join(dataDir, "jwt-signing-key.pem");
    expect((await fs.stat(keyFile)).mode & 0o777).toBe(0o600);

    app = await startApp(config());
    const clients = clientsFor(`http://127.0.0.1:${app.port}`);
    // Same key and same database: a token issued before the restart is still good.
    await expect(clients.profile(registered.accessToken).getProfile({})).resolves.toMatchObject({ userId: registered.userId, email: registered.email });
    const token = accessTokenOf(await clients.auth().login({ email: registered.email, password: GOOD_PASSWORD }));
    await expect(clients.profile(token).getProfile({})).resolves.toMatchObject({ userId: registered.userId });
  });
});
