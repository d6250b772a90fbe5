import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { consoleDist, createConsoleRoutes, fileOf } from "../../src/rpc/console.js";

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** request sends the path exactly as given (fetch would resolve its dot segments first). */
function request(port: number, rawPath: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: rawPath, method: options.method ?? "GET", headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** serve runs the console routes over the folder on a free port, with a fallback that names itself. */
async function serve(dist: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer(
    createConsoleRoutes(dist, (_req, res) => {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("fallback");
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const INDEX = "<!doctype html><title>console</title>";
const SECRET = "not for the browser";

describe("the browser console's files", () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    // The build's folder sits beside a file it must never serve.
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-console-"));
    const dist = path.join(dir, "dist");
    await fs.mkdir(path.join(dist, "assets"), { recursive: true });
    await fs.writeFile(path.join(dist, "index.html"), INDEX);
    await fs.writeFile(path.join(dist, "assets", "index-AbC123.js"), "console.log(1);");
    await fs.writeFile(path.join(dist, "assets", "index-AbC123.css"), "body{}");
    await fs.writeFile(path.join(dist, "favicon.svg"), "<svg/>");
    await fs.writeFile(path.join(dist, ".env"), SECRET);
    await fs.writeFile(path.join(dir, "secret.txt"), SECRET);
    server = await serve(dist);
  });
  afterAll(async () => {
    await server?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("answers /console and /console/ with index.html, revalidated on every visit, under a strict policy", async () => {
    for (const at of ["/console", "/console/", "/console?next=1"]) {
      const res = await request(server.port, at);
      expect(res.status).toBe(200);
      expect(res.body).toBe(INDEX);
      expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(res.headers["cache-control"]).toBe("no-cache");
      const csp = res.headers["content-security-policy"];
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.headers["referrer-policy"]).toBe("no-referrer");
    }
  });

  it("serves hashed assets with their content types and a long cache, and other files revalidated", async () => {
    const js = await request(server.port, "/console/assets/index-AbC123.js");
    expect([js.status, js.headers["content-type"], js.headers["cache-control"]]).toEqual([200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"]);
    const css = await request(server.port, "/console/assets/index-AbC123.css");
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
    const icon = await request(server.port, "/console/favicon.svg");
    expect([icon.status, icon.headers["content-type"], icon.headers["cache-control"]]).toEqual([200, "image/svg+xml", "no-cache"]);
  });

  it("answers HEAD without a body, and a matching If-None-Match with 304", async () => {
    const head = await request(server.port, "/console/", { method: "HEAD" });
    expect([head.status, head.body, head.headers["content-length"]]).toEqual([200, "", String(INDEX.length)]);
    const again = await request(server.port, "/console/", { headers: { "if-none-match": String(head.headers.etag) } });
    expect([again.status, again.body]).toEqual([304, ""]);
  });

  it("never serves a file outside the build, nor a hidden one", async () => {
    const attempts = [
      "/console/../secret.txt",
      "/console/assets/../../secret.txt",
      "/console/%2e%2e/secret.txt",
      "/console/assets/..%2f..%2fsecret.txt",
      "/console/%2e%2e%5csecret.txt",
      "/console/..%5c..%5csecret.txt",
      "/console//etc/passwd",
      "/console/%2Fetc%2Fpasswd",
      "/console/.env",
      "/console/index.html%00.js",
      "/console/%E0%A4%A",
      "/console/assets",
    ];
    for (const at of attempts) {
      const res = await request(server.port, at);
      expect({ at, status: res.status }).toEqual({ at, status: 404 });
      expect(res.body).not.toContain(SECRET);
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
    }
  });

  it("refuses methods other than GET and HEAD, and leaves every other path to the fallback", async () => {
    const post = await request(server.port, "/console/", { method: "POST" });
    expect([post.status, post.headers.allow]).toEqual([405, "GET, HEAD"]);
    for (const at of ["/consoles", "/healthz", "/"]) expect((await request(server.port, at)).body).toBe("fallback");
  });

  it("answers 404 saying how to build it when the console is not built", async () => {
    const unbuilt = await serve(path.join(dir, "missing"));
    try {
      for (const at of ["/console", "/console/assets/index-AbC123.js"]) {
        const res = await request(unbuilt.port, at);
        expect(res.status).toBe(404);
        expect(res.headers["content-type"]).toBe("application/json");
        expect(JSON.parse(res.body)).toEqual({ code: "not_found", message: expect.stringContaining("npm run build:console") });
      }
    } finally {
      await unbuilt.close();
    }
  });

  it("maps request paths to the build's files only", () => {
    expect(fileOf("/console")).toBe("index.html");
    expect(fileOf("/console/assets/a%20b.js")).toBe("assets/a b.js");
    for (const refused of ["/console/..", "/console/a/../b", "/console/%2e", "/console/a\\b", "/console/a//b", "/console/.git/config"]) expect(fileOf(refused)).toBeUndefined();
  });

  it("finds console/dist in the checkout", () => {
    expect(consoleDist()).toBe(fileURLToPath(new URL("../../console/dist", import.meta.url)));
  });
});
