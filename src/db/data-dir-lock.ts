import { randomBytes } from "node:crypto";
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
  if (!(owner.pid > 0)) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** readLock is a lock file's text and what it says of its owner; undefined when there is none. */
async function readLock(file: string): Promise<{ text: string; owner: LockOwner } | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    if (typeof owner.pid === "number" && typeof owner.hostname === "string") return { text, owner: { pid: owner.pid, hostname: owner.hostname, since: String(owner.since) } };
  } catch {
    // fall through
  }
  // Locks appear whole (see lockDataDir), so an unreadable one is debris, not a live owner.
  return { text, owner: { pid: 0, hostname: os.hostname(), since: "unknown" } };
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
  // The nonce tells two locks of one process apart (see the takeover below).
  const mine = JSON.stringify({ pid: process.pid, hostname: os.hostname(), since: new Date().toISOString(), nonce: randomBytes(8).toString("hex") });
  // Written aside, then linked into place: link fails if the lock exists, and a lock never
  // appears half-written to another process reading it.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await fs.writeFile(draft, mine, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const taken = await fs.link(draft, file).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code !== "EEXIST") throw error;
          return false;
        },
      );
      if (taken) {
        return async () => {
          // Only our own lock is removed: after a takeover by someone else it is theirs.
          if ((await fs.readFile(file, "utf8").catch(() => "")) === mine) await fs.rm(file, { force: true });
        };
      }
      const seen = await readLock(file);
      if (seen && isAlive(seen.owner)) throw new DataDirInUse(dataDir, seen.owner);
      // Stale: moved aside under a name of our own, so of two processes taking it over at once only
      // one succeeds, and neither removes a lock the other has just written.
      const aside = `${draft}.stale`;
      if (!(await fs.rename(file, aside).then(() => true, () => false))) continue;
      const moved = await readLock(aside);
      if (moved && moved.text !== seen?.text) {
        // Another process took the stale lock over between our read and our move: the lock we
        // moved is its live one. Put it back (link fails only if yet another lock appeared) and give way.
        await fs.link(aside, file).catch(() => undefined);
        await fs.rm(aside, { force: true });
        throw new DataDirInUse(dataDir, moved.owner);
      }
      await fs.rm(aside, { force: true });
    }
    throw new Error(`could not lock ${dataDir}`);
  } finally {
    await fs.rm(draft, { force: true });
  }
}
