import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { NodeHandler, NodeRequest, NodeResponse } from "./node-handler.js";

/** CONSOLE_PATH is where the browser console is served: the page at /console, its files under /console/. */
export const CONSOLE_PATH = "/console";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * The page may load and call only its own origin (the API it drives is served here too); the QR
 * code of a TOTP set-up is a data: image. No inline script or style, no plugins, no framing.
 */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

// Vite names the files under assets/ by their content hash: a changed file is a new URL.
const IMMUTABLE = "public, max-age=31536000, immutable";

const NOT_BUILT = "the console is not built: run npm run build:console (npm start builds it when it is missing or out of date)";

/** consoleDist is console/dist of the checkout this module runs from: beside the nearest package.json of user-service up from here. */
export function consoleDist(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: string };
      if (manifest.name === "user-service") return path.join(dir, "console", "dist");
    } catch {
      // No package.json here (src/rpc, or dist/src/rpc once built): look further up.
    }
    if (path.dirname(dir) === dir) throw new Error("no package.json of user-service above src/rpc/console");
  }
}

function answer(res: NodeResponse, status: number, headers: Record<string, string>, body?: Buffer | string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers });
  if (body === undefined) res.end();
  else res.end(body);
}

function answerJson(res: NodeResponse, status: number, code: string, message: string): void {
  answer(res, status, { "content-type": "application/json", "cache-control": "no-store" }, JSON.stringify({ code, message }));
}

/**
 * fileOf maps a request path under /console to a file's path relative to the build, or undefined
 * when the path is not one a build holds: undecodable, with a NUL or a backslash, a "." or ".."
 * segment, or a hidden name. What is left cannot leave the build's folder.
 */
export function fileOf(pathname: string): string | undefined {
  const rest = pathname.slice(CONSOLE_PATH.length);
  if (rest === "" || rest === "/") return "index.html";
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return undefined;
  }
  if (/[\0\\]/.test(decoded)) return undefined;
  const segments = decoded.split("/").slice(1);
  if (segments.some((segment) => segment === "" || segment.startsWith("."))) return undefined;
  return segments.join("/");
}

async function serveFile(root: string, relative: string, req: NodeRequest, res: NodeResponse): Promise<void> {
  const file = path.join(root, relative);
  // fileOf already refused every way out; this is the belt to its braces.
  if (path.relative(root, file).startsWith("..") || path.isAbsolute(path.relative(root, file))) return answerJson(res, 404, "not_found", "no such file");
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat?.isFile()) {
    const built = await fs.stat(path.join(root, "index.html")).then(
      (s) => s.isFile(),
      () => false,
    );
    return built ? answerJson(res, 404, "not_found", "no such file in the console") : answerJson(res, 404, "not_found", NOT_BUILT);
  }
  const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  const headers = {
    "content-type": CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream",
    // The page itself is revalidated every time, so a new build's asset names reach browsers at once.
    "cache-control": relative.startsWith("assets/") ? IMMUTABLE : "no-cache",
    etag,
  };
  if (req.headers["if-none-match"] === etag) return answer(res, 304, headers);
  const body = req.method === "HEAD" ? undefined : await fs.readFile(file);
  answer(res, 200, { ...headers, "content-length": String(stat.size) }, body);
}

/**
 * createConsoleRoutes serves the browser console's build (index.html for /console and /console/,
 * its files under /console/) and passes every other path to fallback. Without a build, /console
 * answers 404 saying how to build it.
 */
export function createConsoleRoutes(root: string, fallback: NodeHandler): NodeHandler {
  const base = path.resolve(root);
  return (req, res) => {
    const pathname = (req.url ?? "/").split("?", 1)[0] ?? "/";
    if (pathname !== CONSOLE_PATH && !pathname.startsWith(`${CONSOLE_PATH}/`)) return fallback(req, res);
    if (req.method !== "GET" && req.method !== "HEAD") {
      return answer(res, 405, { allow: "GET, HEAD", "content-type": "application/json", "cache-control": "no-store" }, JSON.stringify({ code: "method_not_allowed", message: "the console answers GET and HEAD" }));
    }
    const relative = fileOf(pathname);
    if (relative === undefined) return answerJson(res, 404, "not_found", "no such file in the console");
    serveFile(base, relative, req, res).catch(() => {
      if (!res.headersSent) answerJson(res, 500, "internal", "the console's file could not be read");
      else res.destroy();
    });
  };
}
