import fs from "node:fs/promises";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { Logger } from "../platform/logger.js";

import type { NodeHandler as Handler } from "./handler.js";

export interface ServerOptions {
  handler: Handler;
  host: string;
  port: number;
  tls?: { certFile: string; keyFile: string } | undefined;
  /** How long shutdown waits for in-flight calls before cutting connections. */
  graceMs: number;
  log: Logger;
}

/** RunningServer is a listening server; close() shuts it down gracefully. */
export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

const PREFACE_TIMEOUT_MS = 10_000;

/**
 * routeBySniffing waits for a connection's first three bytes: "PRI" opens an HTTP/2 prior-knowledge
 * (h2c) connection, anything else is HTTP/1.1. The bytes are put back for the real parser.
 */
function routeBySniffing(socket: net.Socket, h2: http2.Http2Server, h1: http.Server): void {
  // A client that connects and says nothing must not hold the socket forever.
  socket.setTimeout(PREFACE_TIMEOUT_MS, () => socket.destroy());
  const onReadable = () => {
    const head: Buffer | null = socket.read(3);
    if (head === null) return; // fewer than three bytes so far
    socket.off("readable", onReadable);
    socket.setTimeout(0);
    socket.unshift(head);
    (head.toString("latin1") === "PRI" ? h2 : h1).emit("connection", socket);
  };
  socket.on("readable", onReadable);
}

/**
 * startServer serves gRPC, gRPC-Web and Connect on one port: over TLS (HTTP/2 with HTTP/1.1
 * fallback by ALPN) when certificates are given, else over h2c and HTTP/1.1 side by side.
 * Node 20 has no cleartext `allowHTTP1`, hence the preface sniffing.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { log } = options;
  let inFlight = 0;
  let shuttingDown = false;
  let drained: (() => void) | undefined;

  const handler: Handler = (req, res) => {
    inFlight++;
    if (shuttingDown && req.httpVersionMajor === 1) res.setHeader("connection", "close");
    res.once("close", () => {
      inFlight--;
      if (inFlight === 0) drained?.();
    });
    options.handler(req, res);
  };

  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.Http2Session>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  const trackSession = (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  };

  let listener: net.Server;
  let h1: http.Server | undefined;
  if (options.tls) {
    const [cert, key] = await Promise.all([fs.readFile(options.tls.certFile), fs.readFile(options.tls.keyFile)]);
    const secure = http2.createSecureServer({ cert, key, allowHTTP1: true }, handler);
    secure.on("session", trackSession);
    secure.on("connection", track);
    listener = secure;
  } else {
    const h2 = http2.createServer({}, handler);
    h2.on("session", trackSession);
    h1 = http.createServer(handler);
    const plain = h1;
    listener = net.createServer((socket) => {
      track(socket);
      routeBySniffing(socket, h2, plain);
    });
  }

  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(options.port, options.host, () => {
      listener.off("error", reject);
      resolve();
    });
  });
  const address = listener.address() as net.AddressInfo;
  const scheme = options.tls ? "https" : "http";
  log.info({ url: `${scheme}://${net.isIPv6(options.host) ? `[${options.host}]` : options.host}:${address.port}`, port: address.port, tls: Boolean(options.tls) }, "listening");

  return {
    port: address.port,
    async close() {
      if (shuttingDown) return;
      shuttingDown = true;
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const session of sessions) session.close(); // GOAWAY: running streams finish, no new ones
      h1?.closeIdleConnections();
      const allDone = inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), options.graceMs)));
      if (await Promise.race([allDone.then(() => false), timedOut])) {
        log.warn({ inFlight }, "shutdown grace period over; closing remaining connections");
      }
      clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      for (const session of sessions) session.destroy();
      await closed;
    },
  };
}
