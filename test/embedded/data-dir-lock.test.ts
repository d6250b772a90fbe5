import { spawnSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { DataDirInUse, lockDataDir } from "../../src/db/data-dir-lock.js";

let dataDir: string;
const lockFile = () => path.join(dataDir, "user-service.lock");
const writeLock = (owner: object | string) => fs.writeFile(lockFile(), typeof owner === "string" ? owner : JSON.stringify(owner));

/** deadPid is the pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

describe("lockDataDir", () => {
  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-lock-"));
  });
  afterEach(() => fs.rm(dataDir, { recursive: true, force: true }));

  it("lets one holder in at a time, also within one process, and frees the directory on release", async () => {
    const release = await lockDataDir(dataDir);
    await expect(lockDataDir(dataDir)).rejects.toBeInstanceOf(DataDirInUse);
    await release();
    await expect(fs.stat(lockFile())).rejects.toMatchObject({ code: "ENOENT" });
    await (await lockDataDir(dataDir))();
  });

  it("takes over the lock of a process that died without releasing it", async () => {
    await writeLock({ pid: deadPid(), hostname: os.hostname(), since: "earlier" });
    const release = await lockDataDir(dataDir);
    expect(JSON.parse(await fs.readFile(lockFile(), "utf8"))).toMatchObject({ pid: process.pid });
    await release();
  });

  it("takes over a lock left half-written by a crash", async () => {
    await writeLock("");
    await (await lockDataDir(dataDir))();
  });

  it("refuses a lock held by a live process, naming it", async () => {
    await writeLock({ pid: process.ppid, hostname: os.hostname(), since: "earlier" });
    await expect(lockDataDir(dataDir)).rejects.toMatchObject({ owner: { pid: process.ppid } });
  });

  it("refuses a lock written on another host, whose process it cannot check", async () => {
    await writeLock({ pid: deadPid(), hostname: `not-${os.hostname()}`, since: "earlier" });
    await expect(lockDataDir(dataDir)).rejects.toBeInstanceOf(DataDirInUse);
  });

  it("lets exactly one of many simultaneous takeovers of a stale lock win, every time", async () => {
    const dead = deadPid();
    // The race is one of timing: many rounds, so a takeover that lets two win shows.
    for (let round = 0; round < 30; round++) {
      await writeLock({ pid: dead, hostname: os.hostname(), since: "earlier" });
      const attempts = await Promise.allSettled(Array.from({ length: 8 }, () => lockDataDir(dataDir)));
      const winners = attempts.filter((a): a is PromiseFulfilledResult<() => Promise<void>> => a.status === "fulfilled");
      expect(winners).toHaveLength(1);
      expect(attempts.filter((a) => a.status === "rejected").every((a) => (a as PromiseRejectedResult).reason instanceof DataDirInUse)).toBe(true);
      await winners[0]!.value();
    }
  });
});
