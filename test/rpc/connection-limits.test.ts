import fs from "node:fs/promises";
import http2 from "node:http2";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { selfSignedCertificate } from "../support/certificates.js";
import { registerUser } from "../support/factories.js";
import { FrameType, RawHttp2 } from "../support/raw-http2.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

// Deadlines a hundred times shorter than production's, so that every misbehaviour is cut in well
// under a second; BOUND_MS is how long a test waits for that before calling it a failure.
const SHORT_DEADLINES = {
  HTTP_HEADERS_TIMEOUT_MS: "300",
  HTTP_REQUEST_TIMEOUT_MS: "600",
  HTTP_IDLE_TIMEOUT_MS: "500",
  HTTP2_MAX_CONCURRENT_STREAMS: "4",
  REGISTRATIONS_PER_IP_PER_HOUR: "100000",
};
const BOUND_MS = 5_000;
const REGISTER_PATH = "/platform.user.v1.AuthService/Register";
const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

/** settlesWithin tells whether `promise` settles (either way) within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms = BOUND_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const closed = (emitter: net.Socket | http2.Http2Session | http2.ClientHttp2Stream) => new Promise<void>((resolve) => emitter.once("close", () => resolve()));

/**
 * connect opens a TCP connection, from `localAddress` when given (any 127.x address is this host).
 * What the server sends is read and dropped: a socket sees the server close only once it has read
 * all that came before.
 */
async function connect(port: number, localAddress?: string): Promise<net.Socket> {
  const socket = net.connect({ port, host: "127.0.0.1", localAddress });
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("connect", resolve));
  return socket.resume();
}

/** answered sends GET /healthz on a raw HTTP/1.1 connection and resolves with the status it gets, or undefined if the connection closes first. */
function answered(socket: net.Socket): Promise<number | undefined> {
  return new Promise((resolve) => {
    socket.once("data", (chunk: Buffer) => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString("latin1"))?.[1])));
    socket.once("close", () => resolve(undefined));
    socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  });
}

/** admittedWithin retries a connection from `localAddress` until the server answers it: it counts a closed connection out a moment after the client closed it. */
async function admittedWithin(port: number, localAddress?: string): Promise<net.Socket | undefined> {
  for (const started = Date.now(); Date.now() - started < BOUND_MS; ) {
    const socket = await connect(port, localAddress);
    if ((await answered(socket)) === 200) return socket;
    socket.destroy();
  }
  return undefined;
}

/** metricsOver reads /metrics on a connection already admitted, and closes it. */
function metricsOver(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  });
}

/** tcpBufferBytes reads one of the kernel's TCP buffer sizes (0: min, 1: default, 2: max), or `fallback` where there is no such file. */
async function tcpBufferBytes(name: "tcp_rmem" | "tcp_wmem", index: 1 | 2, fallback: number): Promise<number> {
  const text = await fs.readFile(`/proc/sys/net/ipv4/${name}`, "utf8").catch(() => "");
  return Number(text.trim().split(/\s+/)[index]) || fallback;
}

const healthz = async (t: TestApp) => (await fetch(`${t.baseUrl}/healthz`)).status;

describeWithServices("Connection limits", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: SHORT_DEADLINES });
  });
  afterAll(() => t?.close());

  describe("HTTP/1.1", () => {
    it.each([
      ["says nothing", "", undefined],
      ["sends part of a request line", "GET /heal", undefined],
      ["sends part of its headers", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", undefined],
      ["trickles in its headers a byte every 100 ms", "GET /healthz HTTP/1.1\r\nX-Slow: ", 100],
    ])("closes a connection that %s, while others get answers", async (_, sent, everyMs) => {
      const socket = await connect(t.app.port);
      const gone = closed(socket);
      socket.write(sent);
      const trickle = everyMs === undefined ? undefined : setInterval(() => socket.write("a"), everyMs);
      try {
        expect(await healthz(t)).toBe(200);
        expect(await settlesWithin(gone)).toBe(true);
      } finally {
        clearInterval(trickle);
      }
    });

    it.each([
      ["sends nothing more", undefined],
      ["trickles in a byte every 100 ms", 100],
    ])("closes a request whose body %s", async (_, everyMs) => {
      const socket = await connect(t.app.port);
      const gone = closed(socket);
      socket.write(`POST ${REGISTER_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
      const trickle = everyMs === undefined ? undefined : setInterval(() => socket.write(" "), everyMs);
      try {
        expect(await healthz(t)).toBe(200);
        expect(await settlesWithin(gone)).toBe(true);
      } finally {
        clearInterval(trickle);
      }
    });

    it("closes a keep-alive connection left idle", async () => {
      const socket = await connect(t.app.port);
      const gone = closed(socket);
      expect(await answered(socket)).toBe(200);
      expect(await healthz(t)).toBe(200);
      expect(await settlesWithin(gone)).toBe(true);
    });

    it("closes a connection whose client leaves the responses unread", async () => {
      // Its own app with production's header deadline: the pile of requests below keeps the server
      // busy for a while, and the other client's connection must not time out waiting for its turn.
      const busy = await startTestApp({ env: { HTTP_IDLE_TIMEOUT_MS: "500" } });
      try {
        // Enough responses to fill what the kernel buffers for the connection: the server's send
        // buffer grows to tcp_wmem's maximum, the unread receive buffer stays near tcp_rmem's default.
        const buffered = (await tcpBufferBytes("tcp_wmem", 2, 4 << 20)) + (await tcpBufferBytes("tcp_rmem", 1, 128 << 10));
        const metricsBytes = (await (await fetch(`${busy.baseUrl}/metrics`)).text()).length;
        const requests = Math.ceil((buffered + (1 << 20)) / metricsBytes);

        const socket = await connect(busy.app.port);
        const gone = closed(socket);
        socket.pause(); // never read: the server's writes stall
        socket.write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".repeat(requests));
        // A paused socket notices the server's reset only when it writes: send a request now and then.
        const probe = setInterval(() => socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 100);
        try {
          expect(await healthz(busy)).toBe(200);
          expect(await settlesWithin(gone, 15_000)).toBe(true);
        } finally {
          clearInterval(probe);
          socket.destroy();
        }
        // The requests still queued on the closed connection are not calls shutdown waits for (grace: 5 s).
        const closing = performance.now();
        await busy.app.close();
        expect(performance.now() - closing).toBeLessThan(2_000);
      } finally {
        await busy.close();
      }
    });
  });

  describe("HTTP/2", () => {
    it("closes a session that opens no stream, while others get answers", async () => {
      const session = http2.connect(t.baseUrl);
      session.on("error", () => {});
      const gone = closed(session);
      await new Promise((resolve) => session.once("connect", resolve));
      await registerUser(t);
      expect(await settlesWithin(gone)).toBe(true);
    });

    it("resets a stream whose request never ends", async () => {
      const session = http2.connect(t.baseUrl);
      session.on("error", () => {});
      try {
        const stream = session.request({ ":method": "POST", ":path": REGISTER_PATH, "content-type": "application/json" });
        stream.on("error", () => {});
        const gone = closed(stream);
        stream.write("{");
        await registerUser(t);
        expect(await settlesWithin(gone)).toBe(true);
        expect(stream.rstCode).toBe(NGHTTP2_CANCEL);
      } finally {
        session.destroy();
      }
    });

    it("advertises its stream limit to clients", async () => {
      const session = http2.connect(t.baseUrl);
      try {
        const settings = await new Promise<http2.Settings>((resolve) => session.once("remoteSettings", resolve));
        expect(settings.maxConcurrentStreams).toBe(4);
      } finally {
        session.close();
      }
    });

    it("refuses streams beyond the limit from a client that ignores it", async () => {
      const raw = await RawHttp2.connect(t.app.port, { ackSettings: false });
      try {
        // Six streams at once, sent before the client has even read the server's limit of four.
        for (const id of [1, 3, 5, 7, 9, 11]) raw.request(id, REGISTER_PATH, [["content-type", "application/json"]]);
        const isRefused = (id: number) => (f: { type: number; streamId: number; payload: Buffer }) =>
          f.type === FrameType.RST_STREAM && f.streamId === id && f.payload.readUInt32BE(0) === NGHTTP2_REFUSED_STREAM;
        await raw.waitFor(isRefused(9));
        await raw.waitFor(isRefused(11));
        expect([1, 3, 5, 7].filter((id) => raw.frames.some(isRefused(id)))).toEqual([]);
        await registerUser(t);
      } finally {
        raw.close();
      }
    });

    it("refuses a header block over 16 KiB", async () => {
      const session = http2.connect(t.baseUrl);
      session.on("error", () => {});
      try {
        // The limit holds once the client has acknowledged the server's settings, as node's client does on receipt.
        await new Promise((resolve) => session.once("remoteSettings", resolve));
        const get = (padding: number) =>
          new Promise<{ status: unknown; rstCode: number | undefined }>((resolve) => {
            const stream = session.request({ ":path": "/healthz", "x-padding": "a".repeat(padding) });
            let status: unknown;
            stream.on("response", (headers) => (status = headers[":status"]));
            stream.on("error", () => {});
            stream.resume();
            stream.once("close", () => resolve({ status, rstCode: stream.rstCode }));
            stream.end();
          });
        expect(await get(8 * 1024)).toEqual({ status: 200, rstCode: 0 });
        expect(await get(20 * 1024)).toEqual({ status: undefined, rstCode: NGHTTP2_ENHANCE_YOUR_CALM });
      } finally {
        session.destroy();
      }
    });

    it("destroys a session with a call open whose peer stops answering pings", async () => {
      const raw = await RawHttp2.connect(t.app.port, { ackSettings: true });
      try {
        // grpc.health.v1.Health/Watch with an empty request message: the server streams until cancelled.
        raw.request(1, "/grpc.health.v1.Health/Watch", [["content-type", "application/grpc"], ["te", "trailers"]], Buffer.alloc(5));
        await raw.waitFor((f) => f.type === FrameType.DATA && f.streamId === 1);
        await registerUser(t);
        expect(await settlesWithin(raw.closed)).toBe(true);
        expect(raw.frames.some((f) => f.type === FrameType.PING)).toBe(true);
      } finally {
        raw.close();
      }
    });
  });

  describe("long calls", () => {
    it.each(["1.1", "2"] as const)("keep a quiet health Watch over HTTP/%s open past every deadline", async (httpVersion) => {
      const stop = new AbortController();
      const messages = createClient(Health, t.transport({ httpVersion })).watch({ service: "" }, { signal: stop.signal })[Symbol.asyncIterator]();
      try {
        expect((await messages.next()).value?.status).toBe(ServingStatus.SERVING);
        // The status does not change, so the stream stays silent; it ends only if something cuts it.
        const next = messages.next();
        next.catch(() => {});
        expect(await settlesWithin(next, 1_600)).toBe(false);
      } finally {
        stop.abort();
      }
    });
  });
});

describeWithServices("Connection caps", () => {
  it("refuses connections beyond the per-address cap, and admits again once they close", async () => {
    const t = await startTestApp({ env: { MAX_CONNECTIONS_PER_ADDRESS: "3" } });
    try {
      const held = await Promise.all([1, 2, 3].map(() => connect(t.app.port, "127.0.0.2")));
      for (const socket of held) expect(await answered(socket)).toBe(200);

      expect(await answered(await connect(t.app.port, "127.0.0.2"))).toBeUndefined();
      expect(await healthz(t)).toBe(200); // from 127.0.0.1: another address
      expect(await (await fetch(`${t.baseUrl}/metrics`)).text()).toMatch(/^http_connections_refused_total\{reason="per_address"\} 1$/m);

      for (const socket of held) socket.destroy();
      const again = await admittedWithin(t.app.port, "127.0.0.2");
      expect(again).toBeDefined();
      again?.destroy();
    } finally {
      await t.close();
    }
  });

  it("refuses connections beyond the total cap", async () => {
    const t = await startTestApp({ env: { MAX_CONNECTIONS: "3", MAX_CONNECTIONS_PER_ADDRESS: "0" } });
    try {
      const held = await Promise.all([1, 2, 3].map(() => connect(t.app.port)));
      for (const socket of held) expect(await answered(socket)).toBe(200);

      expect(await answered(await connect(t.app.port))).toBeUndefined();

      held.shift()?.destroy();
      const again = await admittedWithin(t.app.port);
      expect(again).toBeDefined();
      expect(await metricsOver(again!)).toMatch(/^http_connections_refused_total\{reason="total"\} [1-9]/m);
      for (const socket of held) socket.destroy();
    } finally {
      await t.close();
    }
  });
});

describeWithServices("Connection limits over TLS", () => {
  let t: TestApp;
  let cert: Buffer;
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-tls-"));
    const files = await selfSignedCertificate(dir);
    cert = files.cert;
    t = await startTestApp({ env: { ...SHORT_DEADLINES, TLS_CERT_FILE: files.certFile, TLS_KEY_FILE: files.keyFile } });
  });
  afterAll(async () => {
    await t?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const healthzOverTls = () =>
    new Promise<number | undefined>((resolve, reject) => {
      https.get(`https://127.0.0.1:${t.app.port}/healthz`, { ca: cert, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).once("error", reject);
    });

  it("closes a connection that never starts the TLS handshake", async () => {
    const socket = await connect(t.app.port);
    const gone = closed(socket);
    expect(await healthzOverTls()).toBe(200);
    expect(await settlesWithin(gone)).toBe(true);
  });

  it("closes an HTTP/1.1 connection that trickles in its headers", async () => {
    const socket = tls.connect({ port: t.app.port, host: "127.0.0.1", ca: cert, ALPNProtocols: ["http/1.1"] });
    socket.on("error", () => {});
    socket.resume();
    const gone = closed(socket);
    await new Promise((resolve) => socket.once("secureConnect", resolve));
    socket.write("GET /healthz HTTP/1.1\r\nX-Slow: ");
    const trickle = setInterval(() => socket.write("a"), 100);
    try {
      expect(await healthzOverTls()).toBe(200);
      expect(await settlesWithin(gone)).toBe(true);
    } finally {
      clearInterval(trickle);
    }
  });

  it("closes an HTTP/2 session that opens no stream", async () => {
    const session = http2.connect(`https://127.0.0.1:${t.app.port}`, { ca: cert });
    session.on("error", () => {});
    const gone = closed(session);
    await new Promise((resolve) => session.once("connect", resolve));
    expect(await healthzOverTls()).toBe(200);
    expect(await settlesWithin(gone)).toBe(true);
  });
});

describe("Connection limit configuration", () => {
  it("refuses a header deadline later than the request deadline", () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: "5000", HTTP_REQUEST_TIMEOUT_MS: "1000" })).toThrow(ConfigError);
  });

  it("takes 0 to turn the per-address cap off, and production defaults otherwise", () => {
    expect(loadConfig({ MAX_CONNECTIONS_PER_ADDRESS: "0" }).connections.maxConnectionsPerAddress).toBe(0);
    expect(loadConfig({}).connections).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      idleTimeoutMs: 65_000,
      maxConnections: 10_000,
      maxConnectionsPerAddress: 256,
      http2MaxConcurrentStreams: 100,
    });
  });
});
