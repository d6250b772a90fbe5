import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { startTestApp, type TestApp } from "../support/app.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const ALLOWED = "https://app.example.com";

describeWithServices("CORS for browser clients", () => {
  let t: TestApp;
  const rpcUrl = () => `${t.baseUrl}/platform.user.v1.ProfileService/GetProfile`;

  beforeAll(async () => {
    t = await startTestApp({ env: { CORS_ALLOWED_ORIGINS: `${ALLOWED}, https://admin.example.com` } });
  });
  afterAll(() => t?.close());

  it("answers a preflight from an allowed origin with the Connect and auth headers", async () => {
    const res = await fetch(rpcUrl(), {
      method: "OPTIONS",
      headers: { origin: ALLOWED, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    const allowed = res.headers.get("access-control-allow-headers")!.toLowerCase();
    expect(allowed).toContain("authorization");
    expect(allowed).toContain("connect-protocol-version");
  });

  it("lets an allowed origin read the response and its error headers", async () => {
    const res = await fetch(rpcUrl(), { method: "POST", headers: { origin: ALLOWED, "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(res.headers.get("access-control-expose-headers")!.toLowerCase()).toContain("grpc-status");
  });

  it("gives other origins no CORS headers", async () => {
    const preflight = await fetch(rpcUrl(), { method: "OPTIONS", headers: { origin: "https://evil.example.net", "access-control-request-method": "POST" } });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    const call = await fetch(rpcUrl(), { method: "POST", headers: { origin: "https://evil.example.net", "content-type": "application/json" }, body: "{}" });
    expect(call.headers.get("access-control-allow-origin")).toBeNull();
    // Cached answers must still be kept apart per origin.
    expect(call.headers.get("vary")).toBe("Origin");
  });
});
