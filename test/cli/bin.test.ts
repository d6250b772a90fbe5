import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";

const repo = fileURLToPath(new URL("../../", import.meta.url));

// A copy of bin/user-service.js in a tree of its own, with stand-ins for the compiled and the
// source CLI that only say which of them ran.
let tree: string;

function runBin(): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(tree, "bin", "user-service.js")], { cwd: tree, timeout: 30_000 }, (error, stdout, stderr) =>
      error ? reject(error) : resolve({ stdout, stderr }),
    );
  });
}

async function touch(file: string, secondsAgo: number): Promise<void> {
  const when = new Date(Date.now() - secondsAgo * 1000);
  await fs.utimes(path.join(tree, file), when, when);
}

describe("bin/user-service.js", () => {
  beforeAll(async () => {
    tree = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-bin-"));
    await fs.mkdir(path.join(tree, "bin"));
    await fs.mkdir(path.join(tree, "dist", "src"), { recursive: true });
    await fs.mkdir(path.join(tree, "src"));
    await fs.copyFile(path.join(repo, "bin", "user-service.js"), path.join(tree, "bin", "user-service.js"));
    await fs.writeFile(path.join(tree, "package.json"), JSON.stringify({ type: "module" }));
    await fs.symlink(path.join(repo, "node_modules"), path.join(tree, "node_modules"));
    await fs.writeFile(path.join(tree, "dist", "src", "cli.js"), 'console.log("compiled");\n');
    await fs.writeFile(path.join(tree, "src", "cli.ts"), 'const ran: string = "sources";\nconsole.log(ran);\n');
  });
  afterAll(() => fs.rm(tree, { recursive: true, force: true }));

  it("runs the compiled code when it is newer than every source", async () => {
    await touch("src/cli.ts", 60);
    await touch("dist/src/cli.js", 10);
    const { stdout, stderr } = await runBin();
    expect(stdout.trim()).toBe("compiled");
    expect(stderr).toBe("");
  });

  it("runs the sources, and says so, when a source changed after the build", async () => {
    await touch("dist/src/cli.js", 60);
    await touch("src/cli.ts", 10);
    const { stdout, stderr } = await runBin();
    expect(stdout.trim()).toBe("sources");
    expect(stderr).toContain("dist/ is older than the sources");
  });

  it("runs the sources quietly when nothing was built", async () => {
    await fs.rm(path.join(tree, "dist"), { recursive: true });
    const { stdout, stderr } = await runBin();
    expect(stdout.trim()).toBe("sources");
    expect(stderr).toBe("");
  });
});
