import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** DataDirInUse is thrown when another live process holds the embedded database's directory. */
export class DataDirInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(`${dataDir} is in use by another user-service process (pid ${owner.pid} on ${owner.hostname}, since ${owner.since})`);
    this.name = "DataDirInUse";
  }
}

interface LockOwner {
  pid: number;
  hostname: string;
  since: string;
}

const LOCK_FILE = "user-service.lock";

/**
 * isAlive says whether the process that wrote a lock may still run. A lock from another host
 * (a shared network disk) cannot be checked, so it counts as alive: refusing is safe, a second
 * writer is not.
 */
function isAlive(owner: LockOwner): boolean {
  if (owner.hostname !== os.hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await fs.readFile(file, "utf8")) as Partial<LockOwner>;
    if (typeof owner.pid === "number" && typeof owner.hostname === "string") return { pid: owner.pid, hostname: owner.hostname, since: String(owner.since) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
  }
  // Unreadable or half-written: a process died between creating and writing it.
  return { pid: 0, hostname: os.hostname(), since: "unknown" };
}

/**
 * lockDataDir makes this process the only one using dataDir: PGlite keeps no lock of its own, and
 * two processes writing one data directory silently lose each other's writes. The lock file names
 * its owner's pid; a lock whose process has died (a crash, a SIGKILL) is taken over. The returned
 * function releases the lock.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await fs.mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, hostname: os.hostname(), since: new Date().toISOString() });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fs.writeFile(file, mine, { flag: "wx", mode: 0o600 });
      return async () => {
        // Only our own lock is removed: after a takeover by someone else it is theirs.
        if ((await fs.readFile(file, "utf8").catch(() => "")) === mine) await fs.rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = await readOwner(file);
    if (owner && isAlive(owner)) throw new DataDirInUse(dataDir, owner);
    // Stale: moved aside under a name of our own, so of two processes taking it over at once only
    // one succeeds, and neither removes a lock the other has just written.
    const aside = `${file}.stale-${process.pid}`;
    if (!(await fs.rename(file, aside).then(() => true, () => false))) continue;
    const moved = await readOwner(aside);
    if (moved && owner && moved.pid !== owner.pid) {
      // Another process took the stale lock over between our read and our move: the lock we moved
      // is its live one. Put it back (link fails only if yet another lock appeared) and give way.
      await fs.link(aside, file).catch(() => undefined);
      await fs.rm(aside, { force: true });
      throw new DataDirInUse(dataDir, moved);
    }
    await fs.rm(aside, { force: true });
  }
  throw new Error(`could not lock ${dataDir}`);
}
