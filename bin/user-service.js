#!/usr/bin/env node
// Runs the compiled CLI when `npm run build` has produced it and it is newer than every source
// file, else the TypeScript sources through tsx: stale compiled code must never run silently.
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = new URL("../", import.meta.url);
const compiled = new URL("dist/src/cli.js", root);

/** newestChange is the latest modification time of the files under the given folders. */
function newestChange(folders) {
  let newest = 0;
  for (const folder of folders) {
    const dir = fileURLToPath(new URL(folder, root));
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) newest = Math.max(newest, statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs);
    }
  }
  return newest;
}

const builtAt = existsSync(compiled) ? statSync(compiled).mtimeMs : undefined;
if (builtAt !== undefined && builtAt >= newestChange(["src/", "gen/", "migrations/"])) {
  await import(compiled.href);
} else {
  if (builtAt !== undefined) process.stderr.write("dist/ is older than the sources: running the sources (npm run build refreshes dist/)\n");
  const { register } = await import("tsx/esm/api");
  register();
  await import(new URL("src/cli.ts", root).href);
}
