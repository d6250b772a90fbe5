import { execFile, spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "@jest/globals";

// Running bin/user-service.js as a separate process, the way operators do.

const CLI = fileURLToPath(new URL("../../bin/user-service.js", import.meta.url));
// Each run compiles the sources through tsx, and embedded runs create a PGlite database: a few
// seconds on an idle 2-core machine, many more on a busy one.
export const CLI_TIMEOUT_MS = 60_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The suite's working directory (a fresh temporary one) and an Ed25519 key file in it. */
export let workDir: string;
export let keyFile: string;

/** useCliWorkspace makes the suite's working directory and key file before its tests, and removes them after. */
export function useCliWorkspace(): void {
  beforeAll(async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-cli-"));
    keyFile = path.join(workDir, "jwt.pem");
    await fs.writeFile(keyFile, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }));
  });
  afterAll(() => fs.rm(workDir, { recursive: true, force: true }));
}

/** cliEnv is a clean environment: nothing leaks in from the test runner's own. */
const cliEnv = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? "", HOME: workDir, DATA_DIR: path.join(workDir, "data"), ...env });

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: workDir, env: cliEnv(env), timeout: CLI_TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** logLines parses the CLI's JSON log lines from stdout. */
export const logLines = (stdout: string) =>
  stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** Running is a CLI process that keeps running: serve or worker. */
export interface Running {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Its log lines so far (lines that are not JSON as {text}). */
  lines: Array<Record<string, unknown>>;
}

export interface Serving extends Running {
  port: number;
}

/** startRunning runs a verb that keeps running and resolves with the first log line ready accepts. */
async function startRunning(args: string[], env: Record<string, string>, ready: (entry: Record<string, unknown>) => boolean): Promise<Running & { ready: Record<string, unknown> }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: workDir, env: cliEnv({ LOG_LEVEL: "info", ...env }), stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const lines: Array<Record<string, unknown>> = [];
  try {
    const readyLine = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${args[0]}: no ready log line`)), CLI_TIMEOUT_MS);
      createInterface({ input: child.stdout }).on("line", (line) => {
        const entry = line.startsWith("{") ? (JSON.parse(line) as Record<string, unknown>) : { text: line };
        lines.push(entry);
        if (ready(entry)) {
          clearTimeout(timer);
          resolve(entry);
        }
      });
      void exited.then((code) => reject(new Error(`${args[0]} exited early with ${code}`)));
    });
    return { child, exited, lines, ready: readyLine };
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
}

/** startServe runs `serve` and resolves once it logs the port it listens on. */
export async function startServe(env: Record<string, string>): Promise<Serving> {
  const running = await startRunning(["serve"], { PORT: "0", HOST: "127.0.0.1", ...env }, (entry) => entry.msg === "listening" && typeof entry.port === "number");
  return { ...running, port: running.ready.port as number };
}

/** startWorkerProcess runs `worker` and resolves once its workers run. */
export function startWorkerProcess(env: Record<string, string>): Promise<Running> {
  return startRunning(["worker"], env, (entry) => entry.jobs === "relay+workers");
}

/** stopServe ends a running process with a signal and resolves with its exit code. */
export async function stopServe(serving: Running, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  if (serving.child.exitCode === null && serving.child.signalCode === null) serving.child.kill(signal);
  return serving.exited;
}

/** connectCall calls an RPC with Connect JSON over HTTP/1.1, as curl would. */
export async function connectCall(port: number, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/platform.user.v1.${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
