import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

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

/** A takeover guard older than this was left by a process that died mid-takeover. */
const ABANDONED_TAKEOVER_MS = 10_000;

/**
 * guardTakeover lets one process at a time replace a stale lock: mkdir is atomic, so of processes
 * taking a stale lock over at once exactly one holds the guard. It resolves with the guard's
 * release, or undefined while another process holds it.
 */
async function guardTakeover(file: string): Promise<(() => Promise<void>) | undefined> {
  const guard = `${file}.takeover`;
  try {
    await fs.mkdir(guard);
    return () => fs.rm(guard, { recursive: true, force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const since = await fs.stat(guard).then((stat) => stat.mtimeMs, () => Date.now());
    if (Date.now() - since > ABANDONED_TAKEOVER_MS) await fs.rm(guard, { recursive: true, force: true });
    return undefined;
  }
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
    for (let attempt = 0; attempt < 100; attempt++) {
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
      if (!seen) continue;
      // Stale. Only the holder of the takeover guard removes it, and only if it is still the stale
      // lock read above: a lock is otherwise only ever created (link), never replaced, so of many
      // processes taking over at once exactly one links its own in its place.
      const release = await guardTakeover(file);
      if (!release) {
        await sleep(20);
        continue;
      }
      try {
        if ((await readLock(file))?.text === seen.text) await fs.rm(file, { force: true });
      } finally {
        await release();
      }
    }
    throw new Error(`could not lock ${dataDir}`);
  } finally {
    await fs.rm(draft, { force: true });
  }
}
