import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import http2 from "node:http2";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { AuthService } from "../../gen/platform/user/v1/auth_service_pb.js";
import { ProfileService } from "../../gen/platform/user/v1/profile_service_pb.js";
import { API_SERVICES } from "../../src/rpc/router.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { GOOD_PASSWORD, registerUser, uniqueEmail } from "../support/factories.js";
import { grpcClient } from "../support/grpc.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

// Every transport test signs up from 127.0.0.1; the per-IP sign-up limit is not under test here.
const ENV = { REGISTRATIONS_PER_IP_PER_HOUR: "100000" };
const REGISTER_PATH = "/platform.user.v1.AuthService/Register";
const BUF = fileURLToPath(new URL("../../node_modules/.bin/buf", import.meta.url));
const execFileAsync = promisify(execFile);

const registration = () => ({ email: uniqueEmail("transport"), password: GOOD_PASSWORD, fullName: "Transport Tester" });
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/** registerAndReadProfile proves a transport carries a public call and an authenticated one. */
async function registerAndReadProfile(transport: Transport): Promise<void> {
  const input = registration();
  const registered = await createClient(AuthService, transport).register(input);
  const profile = await createClient(ProfileService, transport).getProfile({}, bearer(registered.accessToken));
  expect(profile.userId).toBe(registered.userId);
  expect(profile.email).toBe(input.email);
}

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

async function post(t: TestApp, urlPath: string, body: string | Uint8Array, headers: Record<string, string>): Promise<RawResponse> {
  const res = await fetch(`${t.baseUrl}${urlPath}`, { method: "POST", headers, body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** expectNoLeak fails when an error message carries a stack trace or SQL. */
function expectNoLeak(text: string): void {
  expect(text).not.toMatch(/^\s*at .+[:(]\d+/m);
  expect(text).not.toMatch(/\b(select .+ from|insert into|update .+ set|delete from)\b/i);
}

/** expectConnectError asserts a Connect unary error: its HTTP status, JSON code and no leak. */
function expectConnectError(res: RawResponse, httpStatus: number, code: string): void {
  expect({ status: res.status, code: (JSON.parse(res.text) as { code?: string }).code }).toEqual({ status: httpStatus, code });
  expectNoLeak(res.text);
}

/** grpcCall sends one gRPC request over a raw HTTP/2 stream and resolves with its trailers. */
function grpcCall(t: TestApp, urlPath: string, frame: Buffer): Promise<http2.IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(t.baseUrl);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": urlPath, "content-type": "application/grpc", te: "trailers" });
    let trailers: http2.IncomingHttpHeaders = {};
    stream.on("trailers", (received) => (trailers = received));
    stream.on("response", (headers) => {
      if (headers["grpc-status"]) trailers = headers; // a trailers-only response
    });
    stream.resume();
    stream.on("close", () => {
      session.close();
      resolve(trailers);
    });
    stream.end(frame);
  });
}

/** envelope frames a gRPC message: flag byte, big-endian length, payload. */
function envelope(payload: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

/** grpcWebTrailers reads the trailer frame (flag 0x80) that ends a gRPC-Web response body. */
function grpcWebTrailers(body: Buffer): Record<string, string> {
  for (let offset = 0; offset + 5 <= body.length; offset += 5 + body.readUInt32BE(offset + 1)) {
    if (body[offset] !== 0x80) continue;
    const text = body.subarray(offset + 5, offset + 5 + body.readUInt32BE(offset + 1)).toString("utf8");
    return Object.fromEntries(text.split("\r\n").filter(Boolean).map((line) => line.split(/:\s*/, 2) as [string, string]));
  }
  return {};
}

describeWithServices("Transport", () => {
  let t: TestApp;
  let address: string;
  beforeAll(async () => {
    t = await startTestApp({ env: ENV });
    address = `127.0.0.1:${t.app.port}`;
  });
  afterAll(() => t?.close());

  describe("Connect", () => {
    it("serves JSON over HTTP/1.1 to a plain fetch, with lowerCamelCase names and enum names", async () => {
      const res = await post(t, REGISTER_PATH, JSON.stringify(registration()), { "content-type": "application/json" });
      expect(res.status).toBe(200);
      const body = JSON.parse(res.text) as Record<string, unknown>;
      expect(body).toMatchObject({ userId: expect.any(String), accessToken: expect.any(String), status: "PENDING" });
    });

    it.each([
      ["JSON over HTTP/1.1", { httpVersion: "1.1" as const }],
      ["JSON over h2c", { httpVersion: "2" as const }],
      ["binary over HTTP/1.1", { httpVersion: "1.1" as const, useBinaryFormat: true }],
      ["binary over h2c", { httpVersion: "2" as const, useBinaryFormat: true }],
    ])("registers and reads the profile with %s", async (_, options) => {
      await registerAndReadProfile(createConnectTransport({ baseUrl: t.baseUrl, ...options }));
    });
  });

  describe("gRPC", () => {
    it("registers and reads the profile through grpc-js with bearer metadata", async () => {
      const auth = grpcClient(address, AuthService);
      const profiles = grpcClient(address, ProfileService);
      try {
        const input = registration();
        const registered = await auth.unary(AuthService.method.register, input);
        const profile = await profiles.unary(ProfileService.method.getProfile, {}, { token: registered.accessToken });
        expect(profile.email).toBe(input.email);
        await expect(profiles.unary(ProfileService.method.getProfile, {})).rejects.toMatchObject({ code: GrpcStatus.UNAUTHENTICATED });
      } finally {
        auth.close();
        profiles.close();
      }
    });

    it("answers a validation error with INVALID_ARGUMENT (3) through grpc-js", async () => {
      const auth = grpcClient(address, AuthService);
      try {
        const error = await auth.unary(AuthService.method.register, { ...registration(), email: "not-an-email" }).catch((e: ServiceError) => e);
        expect(error).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
        expect(decodeURIComponent((error as ServiceError).details)).toContain("email");
      } finally {
        auth.close();
      }
    });

    it("registers and reads the profile through connect's gRPC transport", async () => {
      await registerAndReadProfile(createGrpcTransport({ baseUrl: t.baseUrl }));
    });
  });

  describe("gRPC-Web", () => {
    it("registers and reads the profile over HTTP/1.1", async () => {
      await registerAndReadProfile(createGrpcWebTransport({ baseUrl: t.baseUrl, httpVersion: "1.1" }));
    });
  });

  describe("grpc.health.v1.Health", () => {
    describe("Check", () => {
      it.each(["", "platform.user.v1.AuthService"])('reports "%s" SERVING', async (service) => {
        const health = grpcClient(address, Health);
        try {
          await expect(health.unary(Health.method.check, { service })).resolves.toMatchObject({ status: ServingStatus.SERVING });
        } finally {
          health.close();
        }
      });

      it("answers NOT_FOUND for a service the server does not have", async () => {
        const health = grpcClient(address, Health);
        try {
          await expect(health.unary(Health.method.check, { service: "acme.NoSuchService" })).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
        } finally {
          health.close();
        }
      });
    });

    describe("Watch", () => {
      it("sends SERVING as its first message", async () => {
        const health = grpcClient(address, Health);
        const call = health.serverStream(Health.method.watch, { service: "" });
        try {
          const first = await new Promise((resolve, reject) => {
            call.once("data", resolve);
            call.once("error", reject);
          });
          expect(first).toMatchObject({ status: ServingStatus.SERVING });
        } finally {
          call.on("error", () => {}); // the cancellation below surfaces as a CANCELLED error
          call.cancel();
          health.close();
        }
      });
    });
  });

  describe("server reflection", () => {
    let home: string;
    beforeAll(async () => {
      home = await fs.mkdtemp(path.join(os.tmpdir(), "buf-home-"));
    });
    afterAll(() => fs.rm(home, { recursive: true, force: true }));

    /** bufCurl runs `buf curl` over gRPC with no schema, so everything it knows comes from reflection. */
    const bufCurl = async (args: string[]) => {
      const { stdout } = await execFileAsync(BUF, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args], {
        env: { ...process.env, HOME: home },
        timeout: 20_000,
      });
      return stdout;
    };
    const lines = (text: string) => text.split("\n").filter(Boolean);

    describe.each(["grpc-v1", "grpc-v1alpha"])("with --reflect-protocol %s", (protocol) => {
      it("lists every API service, health and reflection itself", async () => {
        const services = lines(await bufCurl(["--reflect-protocol", protocol, "--list-services", t.baseUrl]));
        expect(services).toEqual(
          expect.arrayContaining([...API_SERVICES.map((s) => s.typeName), "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]),
        );
        expect(services.filter((s) => s.startsWith("platform.user.v1."))).toHaveLength(10);
      });

      it("lists every method of the API", async () => {
        const methods = lines(await bufCurl(["--reflect-protocol", protocol, "--list-methods", t.baseUrl]));
        const expected = API_SERVICES.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`));
        expect(methods).toEqual(expect.arrayContaining(expected));
      });

      it("calls Register with no .proto files at hand", async () => {
        const stdout = await bufCurl(["--reflect-protocol", protocol, "-d", JSON.stringify(registration()), `${t.baseUrl}${REGISTER_PATH}`]);
        expect(JSON.parse(stdout)).toMatchObject({ userId: expect.stringMatching(/^[0-9a-f-]{36}$/), accessToken: expect.any(String) });
      });
    });
  });

  describe("plain HTTP endpoints", () => {
    it("answers GET /healthz with 200", async () => {
      expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
    });

    it("answers GET /readyz with 200 while the database and Redis are reachable", async () => {
      expect((await fetch(`${t.baseUrl}/readyz`)).status).toBe(200);
    });

    it("exposes per-RPC call counts and latencies labelled by service, method and code on /metrics", async () => {
      await registerUser(t);
      const res = await fetch(`${t.baseUrl}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      const labels = 'service="platform.user.v1.AuthService",method="Register",code="ok"';
      expect(text).toMatch(new RegExp(`^rpc_requests_total\\{${labels}\\} [1-9]`, "m"));
      expect(text).toContain(`rpc_request_duration_seconds_count{${labels}}`);
    });

    it("labels failed calls with the code's wire name", async () => {
      await expect(createClient(ProfileService, t.transport()).getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
      const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
      expect(text).toContain('rpc_requests_total{service="platform.user.v1.ProfileService",method="GetProfile",code="unauthenticated"}');
    });

    it("publishes an Ed25519 key on /.well-known/jwks.json that verifies access tokens", async () => {
      const res = await fetch(`${t.baseUrl}/.well-known/jwks.json`);
      expect(res.status).toBe(200);
      const jwks = (await res.json()) as JSONWebKeySet;
      expect(jwks.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", kid: expect.any(String), use: "sig" });
      const user = await registerUser(t);
      const { payload, protectedHeader } = await jwtVerify(user.accessToken, createLocalJWKSet(jwks), { algorithms: ["EdDSA"] });
      expect(payload.sub).toBe(user.userId);
      expect(protectedHeader.kid).toBe(jwks.keys[0]?.kid);
    });

    it("answers an unknown path with 404", async () => {
      expect((await fetch(`${t.baseUrl}/no/such/path`)).status).toBe(404);
    });
  });

  describe("malformed input", () => {
    const json = { "content-type": "application/json" };

    it.each([
      ["garbage JSON", "{garbage"],
      ["an empty body", ""],
      ["a JSON array", "[1,2]"],
      ["a number where a string belongs", JSON.stringify({ ...registration(), email: 5 })],
      ["a string where a message belongs", JSON.stringify({ ...registration(), profileDetails: "conservative" })],
      ["a boolean where an enum belongs", JSON.stringify({ ...registration(), registrationType: true })],
      ["an unknown field in an otherwise valid message", JSON.stringify({ ...registration(), nickname: "x" })],
      ["an enum name the enum does not define", JSON.stringify({ ...registration(), registrationType: "PASSKEY" })],
    ])("answers %s with invalid_argument", async (_, body) => {
      expectConnectError(await post(t, REGISTER_PATH, body, json), 400, "invalid_argument");
    });

    it("answers bytes that are no protobuf message (application/proto) with invalid_argument", async () => {
      const res = await post(t, REGISTER_PATH, Uint8Array.from([0xff, 0xff, 0xff, 0x01, 0x02]), { "content-type": "application/proto" });
      expectConnectError(res, 400, "invalid_argument");
    });

    it("answers a gRPC frame with a garbage payload with INVALID_ARGUMENT", async () => {
      const trailers = await grpcCall(t, REGISTER_PATH, envelope(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff])));
      expect(trailers["grpc-status"]).toBe(String(GrpcStatus.INVALID_ARGUMENT));
      expectNoLeak(decodeURIComponent(String(trailers["grpc-message"])));
    });

    it("answers a gRPC-Web frame with a garbage payload with INVALID_ARGUMENT", async () => {
      const res = await fetch(`${t.baseUrl}${REGISTER_PATH}`, {
        method: "POST",
        headers: { "content-type": "application/grpc-web+proto" },
        body: envelope(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff])),
      });
      const trailers = grpcWebTrailers(Buffer.from(await res.arrayBuffer()));
      expect(trailers["grpc-status"]).toBe(String(GrpcStatus.INVALID_ARGUMENT));
      expectNoLeak(decodeURIComponent(trailers["grpc-message"] ?? ""));
    });

    it("answers a garbage payload sent through grpc-js with INVALID_ARGUMENT", async () => {
      const auth = grpcClient(address, AuthService);
      try {
        await expect(auth.rawUnary(AuthService.method.register, Uint8Array.from([0x0a, 0x09, 0x61]))).rejects.toMatchObject({
          code: GrpcStatus.INVALID_ARGUMENT,
        });
      } finally {
        auth.close();
      }
    });

    it.each([
      ["text/plain", { "content-type": "text/plain" }],
      ["no", {}],
    ])("answers a call with %s content type with invalid_argument", async (_, headers) => {
      expectConnectError(await post(t, REGISTER_PATH, JSON.stringify(registration()), headers), 400, "invalid_argument");
    });

    it("refuses a body over 1 MiB without an internal error", async () => {
      const body = JSON.stringify({ ...registration(), fullName: "x".repeat(1.5 * 1024 * 1024) });
      const res = await post(t, REGISTER_PATH, body, json);
      const { code } = JSON.parse(res.text) as { code: string };
      expect(["resource_exhausted", "invalid_argument"]).toContain(code);
      expectNoLeak(res.text);
    });
  });

  describe("x-request-id", () => {
    const register = (headers: Record<string, string> = {}) =>
      post(t, REGISTER_PATH, JSON.stringify(registration()), { "content-type": "application/json", ...headers });

    it("gives every response a request id", async () => {
      expect((await register()).headers.get("x-request-id")).toMatch(/^[\w.:-]{8,}$/);
    });

    it("echoes a well-formed request id the caller sent", async () => {
      expect((await register({ "x-request-id": "checkout-7f3a.42" })).headers.get("x-request-id")).toBe("checkout-7f3a.42");
    });

    it("echoes the request id on an error response too", async () => {
      const res = await post(t, REGISTER_PATH, "{}", { "content-type": "application/json", "x-request-id": "failing-call-1" });
      expect(res.status).toBe(400);
      expect(res.headers.get("x-request-id")).toBe("failing-call-1");
    });

    it("replaces a malformed request id with its own", async () => {
      const sent = "not a valid id <script>";
      const received = (await register({ "x-request-id": sent })).headers.get("x-request-id");
      expect(received).toMatch(/^[\w.:-]+$/);
      expect(received).not.toBe(sent);
    });
  });

  describe("graceful shutdown", () => {
    it("completes the calls in flight, then refuses new connections", async () => {
      // One hash at a time keeps the later sign-ups waiting inside the server while it closes.
      const dedicated = await startTestApp({ env: { ...ENV, PASSWORD_HASH_CONCURRENCY: "1" } });
      try {
        const auth = createClient(AuthService, createConnectTransport({ baseUrl: dedicated.baseUrl, httpVersion: "2" }));
        let settled = 0;
        const calls = Array.from({ length: 6 }, () =>
          auth.register(registration()).finally(() => {
            settled++;
          }),
        );
        // The burst went out on one connection; once the first answers, the rest are in the server.
        await Promise.race(calls);
        const pendingAtClose = calls.length - settled;
        await dedicated.app.close();

        expect(pendingAtClose).toBeGreaterThan(0);
        const results = await Promise.all(calls);
        expect(results.every((r) => r.userId !== "")).toBe(true);
        await expect(fetch(`${dedicated.baseUrl}/healthz`)).rejects.toThrow();
      } finally {
        await dedicated.close(); // closing the app again is harmless; this releases Redis and drops the database
      }
    });
  });

  describe("when the database is gone", () => {
    it("answers /readyz with 503 and health checks with NOT_SERVING", async () => {
      const dedicated = await startTestApp({ env: ENV });
      try {
        await dedicated.database!.drop();
        expect((await fetch(`${dedicated.baseUrl}/readyz`)).status).toBe(503);
        expect((await fetch(`${dedicated.baseUrl}/healthz`)).status).toBe(200);
        const health = grpcClient(`127.0.0.1:${dedicated.app.port}`, Health);
        try {
          await expect(health.unary(Health.method.check, { service: "" })).resolves.toMatchObject({ status: ServingStatus.NOT_SERVING });
        } finally {
          health.close();
        }
      } finally {
        await dedicated.close();
      }
    });
  });
});
