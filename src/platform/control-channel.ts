import fs from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { DomainError, type ErrorKind } from "../shared/domain-error.js";
import type { Logger } from "./logger.js";

/**
 * The control channel lets the command line ask the running embedded server to do something for
 * it: PGlite has one process open its database, so a CLI verb cannot open it beside the server.
 * It is HTTP with JSON bodies on a Unix socket inside a directory only the data directory's owner
 * may enter: whoever can reach the socket could read the database files anyway.
 */

/** ControlCommand runs one command for the command line; a DomainError it throws goes back as such. */
export type ControlCommand = (args: Record<string, unknown>) => Promise<unknown>;

/** ControlChannelUnavailable says no server answers on the socket: none is running. */
export class ControlChannelUnavailable extends Error {}

const MAX_BODY_BYTES = 64 * 1024;
/** How long the command line waits for the server's answer. */
const ANSWER_TIMEOUT_MS = 30_000;

/** controlSocketPath is where the server under dataDir listens. */
export const controlSocketPath = (dataDir: string) => path.join(dataDir, "control", "server.sock");

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY_BYTES) req.destroy(new Error("body too large"));
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** RunningControlChannel is a listening control channel. */
export interface RunningControlChannel {
  close(): Promise<void>;
}

/**
 * startControlChannel serves commands at `POST /<name>` on the socket under dataDir. The caller
 * holds the data directory's lock, so a socket file already there is a crashed server's and is
 * replaced.
 */
export async function startControlChannel(dataDir: string, commands: Record<string, ControlCommand>, log: Logger): Promise<RunningControlChannel> {
  const socket = controlSocketPath(dataDir);
  await fs.mkdir(path.dirname(socket), { recursive: true, mode: 0o700 });
  await fs.chmod(path.dirname(socket), 0o700);
  await fs.rm(socket, { force: true });
  const server = http.createServer((req, res) => {
    const command = req.method === "POST" ? commands[(req.url ?? "").slice(1)] : undefined;
    if (!command) return reply(res, 404, { error: { kind: "not_found", reason: "unknown_command", message: `no command ${req.method} ${req.url}` } });
    readBody(req)
      .then((body) => command(JSON.parse(body) as Record<string, unknown>))
      .then(
        (result) => reply(res, 200, { result }),
        (error: unknown) => {
          if (error instanceof DomainError) return reply(res, 422, { error: { kind: error.kind, reason: error.reason, message: error.message } });
          log.error({ err: error, command: req.url }, "control command failed");
          reply(res, 500, { error: { kind: "unavailable", reason: "internal", message: "the command failed; the server's log says why" } });
        },
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socket, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * callControlChannel runs a command on the server running under dataDir and returns its result;
 * ControlChannelUnavailable when no server listens there, a DomainError when the command refused.
 */
export function callControlChannel(dataDir: string, command: string, args: Record<string, unknown>): Promise<unknown> {
  const body = JSON.stringify(args);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: controlSocketPath(dataDir), method: "POST", path: `/${command}`, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        readBody(res).then((text) => {
          const answer = JSON.parse(text) as { result?: unknown; error?: { kind: ErrorKind; reason: string; message: string } };
          if (answer.error) reject(new DomainError(answer.error.kind, answer.error.reason, answer.error.message));
          else resolve(answer.result);
        }, reject);
      },
    );
    req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new Error(`the server under ${dataDir} did not answer within ${ANSWER_TIMEOUT_MS / 1000} s`)));
    req.on("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "ENOENT" || error.code === "ECONNREFUSED" ? new ControlChannelUnavailable(`no server listens on ${controlSocketPath(dataDir)}`) : error);
    });
    req.end(body);
  });
}
