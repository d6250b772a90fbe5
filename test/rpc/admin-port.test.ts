import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ConfigError, loadConfig } from "../../src/config.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { registerUser } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const status = async (port: number, path: string, init?: RequestInit) => (await fetch(`http://127.0.0.1:${port}${path}`, init)).status;

describeWithServices("Admin port", () => {
  describe("with ADMIN_PORT", () => {
    let t: TestApp;
    let adminPort: number;
    beforeAll(async () => {
      // 0: any free port.
      t = await startTestApp({ env: { ADMIN_PORT: "0", HTTP_HEADERS_TIMEOUT_MS: "300" } });
      adminPort = t.app.adminPort!;
    });
    afterAll(() => t?.close());

    it("listens on a port of its own", () => {
      expect(adminPort).toEqual(expect.any(Number));
      expect(adminPort).not.toBe(t.app.port);
    });

    it("serves /metrics on the admin port only", async () => {
      await registerUser(t);
      const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^rpc_requests_total\{service="platform.user.v1.AuthService",method="Register",code="ok"\} [1-9]/m);
      expect(await status(t.app.port, "/metrics")).toBe(404);
    });

    it("serves the health endpoints on both ports", async () => {
      for (const port of [adminPort, t.app.port]) {
        expect(await status(port, "/healthz")).toBe(200);
        expect(await status(port, "/readyz")).toBe(200);
      }
    });

    it("keeps the API and the access-token keys on the public port only", async () => {
      expect(await status(t.app.port, "/.well-known/jwks.json")).toBe(200);
      expect(await status(adminPort, "/.well-known/jwks.json")).toBe(404);
      const register = { method: "POST", headers: { "content-type": "application/json" }, body: "{}" };
      expect(await status(t.app.port, "/platform.user.v1.AuthService/Register", register)).toBe(400); // reached the API: invalid argument
      expect(await status(adminPort, "/platform.user.v1.AuthService/Register", register)).toBe(404);
    });

    it("applies the header deadline on the admin port too", async () => {
      const socket = net.connect(adminPort, "127.0.0.1").resume();
      socket.on("error", () => {});
      const closed = new Promise((resolve) => socket.once("close", resolve));
      socket.write("GET /metrics HTTP/1.1\r\nX-Slow: ");
      const trickle = setInterval(() => socket.write("a"), 100);
      try {
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([closed.then(() => "closed"), new Promise((resolve) => (timer = setTimeout(resolve, 5_000, "open")))]);
        clearTimeout(timer);
        expect(outcome).toBe("closed");
      } finally {
        clearInterval(trickle);
        socket.destroy();
      }
    });
  });

  it("serves /metrics on the public port without ADMIN_PORT", async () => {
    const t = await startTestApp();
    try {
      expect(t.app.adminPort).toBeUndefined();
      expect(await status(t.app.port, "/metrics")).toBe(200);
    } finally {
      await t.close();
    }
  });

  it("names ADMIN_PORT when that port is in use, and ADMIN_HOST when it does not resolve", async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = taken.address() as net.AddressInfo;
      await expect(startTestApp({ env: { ADMIN_PORT: String(port), ADMIN_HOST: "127.0.0.1" } })).rejects.toMatchObject({ variable: "ADMIN_PORT" });
      await expect(startTestApp({ env: { ADMIN_PORT: "0", ADMIN_HOST: "no-such-host.invalid" } })).rejects.toMatchObject({ variable: "ADMIN_HOST" });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("closes the admin port on shutdown", async () => {
    const t = await startTestApp({ env: { ADMIN_PORT: "0" } });
    const adminPort = t.app.adminPort!;
    try {
      expect(await status(adminPort, "/healthz")).toBe(200);
    } finally {
      await t.close();
    }
    await expect(fetch(`http://127.0.0.1:${adminPort}/healthz`)).rejects.toThrow();
  });
});

describe("Admin port configuration", () => {
  it("is off unless ADMIN_PORT is set, and listens on HOST unless ADMIN_HOST says otherwise", () => {
    expect(loadConfig({}).admin).toBeUndefined();
    expect(loadConfig({ HOST: "10.0.0.5", ADMIN_PORT: "9090" }).admin).toEqual({ host: "10.0.0.5", port: 9090 });
    expect(loadConfig({ ADMIN_PORT: "9090", ADMIN_HOST: "127.0.0.1" }).admin).toEqual({ host: "127.0.0.1", port: 9090 });
  });

  it("refuses the public port as the admin port", () => {
    expect(() => loadConfig({ PORT: "8080", ADMIN_PORT: "8080" })).toThrow(ConfigError);
  });
});
