import fs from "node:fs/promises";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { Registry } from "prom-client";
import type { ConnectionLimits } from "../config.js";
import type { Logger } from "../platform/logger.js";
import { limitConnections } from "./connection-limits.js";
import type { NodeHandler as Handler } from "./node-handler.js";
import { RunningCalls } from "./running-calls.js";

/** ServerOptions configure the API server: where it listens, with which TLS, limits and shutdown grace. */
export interface ServerOptions {
  handler: Handler;
  host: string;
  port: number;
  tls?: { certFile: string; keyFile: string } | undefined;
  /** How long shutdown waits for in-flight calls before cutting connections. */
  graceMs: number;
  limits: ConnectionLimits;
  /** Where refused connections are counted, when given. */
  metrics?: Registry | undefined;
  log: Logger;
}

/** RunningServer is a listening server; close() shuts it down gracefully. */
export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

// RFC 9113 counts a header list as its names and values plus 32 bytes a field. 16 KiB is node's
// HTTP/1.1 header limit too, and leaves room for a bearer token and gRPC metadata.
const MAX_HEADER_LIST_BYTES = 16 * 1024;
// Node's default, spelled out: what one HTTP/2 session may buffer before its new streams are refused.
const MAX_SESSION_MEMORY_MIB = 10;

/**
 * routeBySniffing waits for a connection's first three bytes: "PRI" opens an HTTP/2 prior-knowledge
 * (h2c) connection, anything else is HTTP/1.1. The bytes are put back for the real parser.
 */
function routeBySniffing(socket: net.Socket, h2: http2.Http2Server, h1: http.Server, timeoutMs: number): void {
  // A client that connects and says nothing must not hold the socket forever.
  const giveUp = () => socket.destroy();
  socket.setTimeout(timeoutMs, giveUp);
  const onReadable = () => {
    const head: Buffer | null = socket.read(3);
    if (head === null) return; // fewer than three bytes so far
    socket.off("readable", onReadable);
    socket.setTimeout(0, giveUp); // with its listener: the server taking over sets timeouts of its own
    socket.unshift(head);
    (head.toString("latin1") === "PRI" ? h2 : h1).emit("connection", socket);
  };
  socket.on("readable", onReadable);
}

/**
 * limitHttp1 gives a server node's HTTP/1.1 deadlines: headers, the whole request, keep-alive, and a
 * socket timeout (`timeout`) for connections that go quiet.
 */
function limitHttp1(server: http.Server | http2.Http2SecureServer, limits: ConnectionLimits): void {
  Object.assign(server, {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    timeout: limits.idleTimeoutMs,
    // How often node looks for requests past their deadlines (its default, 30 s, would let them overrun).
    connectionsCheckingInterval: Math.ceil(Math.min(1_000, limits.headersTimeoutMs / 4)),
  });
}

function http2Options(limits: ConnectionLimits): http2.ServerOptions {
  return {
    settings: { maxConcurrentStreams: limits.http2MaxConcurrentStreams, maxHeaderListSize: MAX_HEADER_LIST_BYTES },
    maxSessionMemory: MAX_SESSION_MEMORY_MIB,
  };
}

async function listen(server: net.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as net.AddressInfo).port;
}

/**
 * startServer serves gRPC, gRPC-Web and Connect on one port: over TLS (HTTP/2 with HTTP/1.1
 * fallback by ALPN) when certificates are given, else over h2c and HTTP/1.1 side by side.
 * Node 20 has no cleartext `allowHTTP1`, hence the preface sniffing. One plain TCP listener accepts
 * every connection, applies the connection caps and hands the socket on; the HTTP servers behind
 * it never listen themselves.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { log, limits } = options;
  let shuttingDown = false;
  // A connection with a call running is busy, however quiet: idle timeouts leave it be.
  const calls = new RunningCalls();

  const handler: Handler = (req, res) => {
    const stream = req instanceof http2.Http2ServerRequest ? req.stream : undefined;
    const end = calls.start(stream?.session ?? req.socket);
    if (shuttingDown && req.httpVersionMajor === 1) res.setHeader("connection", "close");
    // HTTP/2 has no requestTimeout of its own: a stream whose request side has not ended in time is
    // reset, as node answers a late HTTP/1.1 request with 408. Responses (a health Watch) run on.
    const requestTimer =
      stream &&
      setTimeout(() => {
        if (!stream.state.remoteClose) stream.close(http2.constants.NGHTTP2_CANCEL);
      }, limits.requestTimeoutMs);
    res.once("close", () => {
      clearTimeout(requestTimer);
      end();
    });
    options.handler(req, res);
  };

  // An HTTP/1.1 socket times out after idleTimeoutMs without traffic: between requests (keep-alive),
  // or while the client leaves a response unread. Only a call that is running and being read is spared.
  const onSocketTimeout = (target: unknown) => {
    if (target instanceof net.Socket && (!calls.busy(target) || target.writableLength > 0)) target.destroy();
  };

  // An HTTP/2 session times out after idleTimeoutMs without a frame. Without calls it is closed
  // (GOAWAY). With calls running but quiet (a health Watch between changes) the peer is pinged
  // instead; one that left the previous ping unanswered is gone, and its session is destroyed.
  const sessions = new Set<http2.Http2Session>();
  const unanswered = new WeakSet<http2.Http2Session>();
  const onSessionTimeout = (session: http2.Http2Session) => {
    if (session.destroyed || session.closed) return;
    if (!calls.busy(session)) return void session.close();
    if (unanswered.has(session)) return void session.destroy();
    unanswered.add(session);
    session.ping(() => unanswered.delete(session));
    session.setTimeout(limits.idleTimeoutMs); // a timer that fired waits for traffic to run again
  };
  const onSession = (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    session.setTimeout(limits.idleTimeoutMs);
    session.on("timeout", () => onSessionTimeout(session));
  };

  let http1: http.Server | http2.Http2SecureServer;
  let serve: (socket: net.Socket) => void;
  if (options.tls) {
    const [cert, key] = await Promise.all([fs.readFile(options.tls.certFile), fs.readFile(options.tls.keyFile)]);
    const secure = http2.createSecureServer(
      { cert, key, allowHTTP1: true, handshakeTimeout: limits.headersTimeoutMs, ...http2Options(limits) },
      handler,
    );
    secure.on("session", onSession);
    serve = (socket) => secure.emit("connection", socket);
    http1 = secure;
  } else {
    const h2 = http2.createServer(http2Options(limits), handler);
    h2.on("session", onSession);
    const h1 = http.createServer(handler);
    serve = (socket) => routeBySniffing(socket, h2, h1, limits.headersTimeoutMs);
    http1 = h1;
  }
  limitHttp1(http1, limits);
  // The TLS server also reports its sessions' first timeout here; onSession handles those.
  http1.on("timeout", onSocketTimeout);
  // "listening" is what starts node's checks of the header and request deadlines.
  http1.emit("listening");

  const sockets = new Set<net.Socket>();
  const listener = net.createServer();
  const admit = limitConnections(listener, limits, options.metrics);
  listener.on("connection", (socket: net.Socket) => {
    if (!admit(socket)) return;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    serve(socket);
  });
  const port = await listen(listener, options.port, options.host);
  const scheme = options.tls ? "https" : "http";
  log.info({ url: `${scheme}://${net.isIPv6(options.host) ? `[${options.host}]` : options.host}:${port}`, port, tls: Boolean(options.tls) }, "listening");

  return {
    port,
    async close() {
      if (shuttingDown) return;
      shuttingDown = true;
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const session of sessions) session.close(); // GOAWAY: running streams finish, no new ones
      http1.close(); // closes idle HTTP/1.1 connections and stops the deadline checks
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), options.graceMs)));
      if (await Promise.race([calls.drained().then(() => false), timedOut])) {
        log.warn({ inFlight: calls.size }, "shutdown grace period over; closing remaining connections");
      }
      clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      for (const session of sessions) session.destroy();
      await closed;
    },
  };
}

/**
 * startAdminServer serves `handler` (metrics and health endpoints) over plain HTTP/1.1 on a port
 * of its own, with the same request deadlines as the public port. close() cuts its connections:
 * nothing on it is worth waiting for.
 */
export async function startAdminServer(options: {
  handler: Handler;
  host: string;
  port: number;
  limits: ConnectionLimits;
  log: Logger;
}): Promise<RunningServer> {
  const server = http.createServer(options.handler);
  limitHttp1(server, options.limits);
  const port = await listen(server, options.port, options.host);
  options.log.info({ adminPort: port }, "admin port listening");
  return {
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
