// Builds the browser console (console/ into console/dist) with Vite. With --if-stale, what
// `npm start` runs, it builds only when console/dist is missing or older than the console's
// sources, the generated code they import or the lock file, so a start with an up-to-date build
// costs one scan of those folders. Without Vite (an install that left out dev dependencies) an
// --if-stale run says so and succeeds: the service still starts, and /console answers 404 saying
// how to build it.
import fs from "node:fs";
import { fileURLToPath } from "node:url";

const root = new URL("../", import.meta.url);
const at = (relative) => fileURLToPath(new URL(relative, root));
const SOURCES = ["console/index.html", "console/vite.config.ts", "console/tsconfig.json", "console/src/", "console/public/", "gen/", "package-lock.json"];
const BUILT = at("console/dist/index.html");

/** newestChange is the latest modification time of the given files and of the files under the given folders. */
function newestChange(paths) {
  let newest = 0;
  for (const relative of paths) {
    const file = at(relative);
    if (!fs.existsSync(file)) continue;
    const stat = fs.statSync(file);
    if (stat.isFile()) newest = Math.max(newest, stat.mtimeMs);
    else
      for (const entry of fs.readdirSync(file, { recursive: true, withFileTypes: true }))
        if (entry.isFile()) newest = Math.max(newest, fs.statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs);
  }
  return newest;
}

/** stale says why the console needs building, or undefined when its build is up to date. */
function stale() {
  if (!fs.existsSync(BUILT)) return "console/dist is missing";
  if (fs.statSync(BUILT).mtimeMs < newestChange(SOURCES)) return "console/dist is older than its sources";
  return undefined;
}

const ifStale = process.argv.includes("--if-stale");
const why = ifStale ? stale() : "asked to";
if (why) {
  let vite;
  try {
    vite = await import("vite");
  } catch {
    process.stderr.write("cannot build the browser console: Vite is not installed (npm install adds it); /console will answer 404\n");
    process.exit(ifStale ? 0 : 1);
  }
  process.stderr.write(`building the browser console (${why})\n`);
  await vite.build({ configFile: at("console/vite.config.ts") });
}
