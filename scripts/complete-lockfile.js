// Adds package-lock.json entries for the platform-specific optional binaries (other operating
// systems and CPUs) of packages like buf and swc when the registry at hand does not serve them:
// npm then leaves them out of the lock, and `npm ci` refuses the lock as out of sync. Entries carry
// version, os and cpu only, so npm fetches them by version on the platforms that need them.
// Run `npm run lockfile` after changing dependencies.
import fs from "node:fs";

const OPERATING_SYSTEMS = ["darwin", "win32", "linux", "android", "freebsd", "openharmony", "netbsd", "openbsd", "sunos", "aix"];
const CPUS = { arm64: "arm64", aarch64: "arm64", x64: "x64", ia32: "ia32", armv7: "arm", arm: "arm", ppc64: "ppc64", s390x: "s390x", loong64: "loong64", riscv64: "riscv64" };

/** The os and cpu a platform package is for, read from its name (e.g. @swc/core-darwin-arm64). */
function platformOf(name) {
  const parts = name.split("/").pop().split("-");
  const os = OPERATING_SYSTEMS.find((o) => parts.includes(o));
  const cpu = parts.map((p) => CPUS[p]).find(Boolean);
  return { ...(cpu && { cpu: [cpu] }), ...(os && { os: [os] }) };
}

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(fs.readFileSync(file, "utf8"));
const packages = lock.packages;
const added = [];
for (const entry of Object.values(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key]) continue;
    packages[key] = { version, ...platformOf(name), ...(entry.dev && { dev: true }), optional: true };
    added.push(name);
  }
}
const [root, ...rest] = Object.entries(packages);
lock.packages = Object.fromEntries([root, ...rest.sort(([a], [b]) => a.localeCompare(b, "en"))]);
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added ${added.length} platform entries: ${added.join(", ")}` : "lock file already complete");
