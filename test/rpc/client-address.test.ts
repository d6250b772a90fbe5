import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "../../gen/platform/user/v1/auth_service_pb.js";
import { clientAddress } from "../../src/rpc/client-address.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { registerUser, uniqueEmail } from "../support/factories.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

const request = (forwardedFor?: string) => ({
  socket: { remoteAddress: "::ffff:10.0.0.5" },
  headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor },
});

describe("clientAddress", () => {
  it("is the peer address when no proxy is trusted, whatever the client claims", () => {
    expect(clientAddress(request("198.51.100.1"), 0)).toBe("10.0.0.5");
  });

  it("is the entry the trusted proxies appended, counted from the right", () => {
    expect(clientAddress(request("198.51.100.1, 203.0.113.7"), 1)).toBe("203.0.113.7");
    expect(clientAddress(request("198.51.100.1, 203.0.113.7, 10.0.0.9"), 2)).toBe("203.0.113.7");
  });

  it("falls back to the peer when the header is missing, too short or not an address", () => {
    expect(clientAddress(request(), 1)).toBe("10.0.0.5");
    expect(clientAddress(request("203.0.113.7"), 2)).toBe("10.0.0.5");
    expect(clientAddress(request("not-an-ip"), 1)).toBe("10.0.0.5");
  });
});

describeWithServices("AuthService behind a load balancer (TRUSTED_PROXY_HOPS=1)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TRUSTED_PROXY_HOPS: "1", LOGIN_FAILURES_PER_IP: "2" } });
  });
  afterAll(() => t?.close());

  const authFrom = (forwardedFor: string) =>
    createClient(
      AuthService,
      createConnectTransport({
        baseUrl: t.baseUrl,
        httpVersion: "2",
        interceptors: [(next) => (req) => (req.header.set("x-forwarded-for", forwardedFor), next(req))],
      }),
    );

  describe("Login", () => {
    it("records the forwarded client address on the session", async () => {
      const user = await registerUser(t);
      const login = await authFrom("198.51.100.1, 203.0.113.7").login({ email: user.email, password: user.password });
      const sessionId = login.result.case === "tokens" ? login.result.value.sessionId : "";
      const session = await t.db.selectFrom("sessions").select("ip_address").where("id", "=", sessionId).executeTakeFirstOrThrow();
      expect(session.ip_address).toBe("203.0.113.7");
    });

    it("counts failures per forwarded client, so one client cannot lock out everyone behind the balancer", async () => {
      const attacker = authFrom("203.0.113.66");
      for (let i = 0; i < 2; i++) {
        await expect(attacker.login({ email: uniqueEmail(), password: "wrong-password-here" })).rejects.toMatchObject({ code: Code.Unauthenticated });
      }
      await expect(attacker.login({ email: uniqueEmail(), password: "wrong-password-here" })).rejects.toMatchObject({ code: Code.ResourceExhausted });

      const user = await registerUser(t);
      const login = await authFrom("203.0.113.80").login({ email: user.email, password: user.password });
      expect(login.result.case).toBe("tokens");
    });
  });
});
