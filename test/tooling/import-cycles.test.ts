import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "@jest/globals";
import ts from "typescript";

const repo = fileURLToPath(new URL("../../", import.meta.url));

// A tangle of modules can hold more cycles than anyone reads; the first ones say where it is.
const MAX_CYCLES = 50;

/**
 * relativeImports lists the relative specifiers a module imports, re-exports from or loads with
 * `import()`. Type-only imports count: a type cycle is as hard to read as any other.
 */
function relativeImports(source: string): string[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((file) => file.fileName)
    .filter((specifier) => specifier.startsWith("./") || specifier.startsWith("../"));
}

/**
 * importGraph maps every .ts module under dir (paths relative to the repository, `/`-separated) to
 * the modules under dir it imports. A relative import into dir that names no module throws, so a
 * specifier this test misreads cannot hide an edge.
 */
function importGraph(dir: string): Map<string, string[]> {
  const root = path.join(repo, dir);
  const modules = (fs.readdirSync(root, { recursive: true }) as string[]).filter((file) => file.endsWith(".ts")).map((file) => path.join(root, file));
  const known = new Set(modules);
  const name = (file: string) => path.relative(repo, file).split(path.sep).join("/");
  return new Map(
    modules.sort().map((file) => {
      const targets = relativeImports(fs.readFileSync(file, "utf8"))
        // Sources import each other by their emitted names: ./x.js is ./x.ts.
        .map((specifier) => path.resolve(path.dirname(file), specifier).replace(/\.js$/, ".ts"))
        .filter((target) => !path.relative(root, target).startsWith(".."));
      for (const target of targets) if (!known.has(target)) throw new Error(`${name(file)} imports ${name(target)}, which is not a module`);
      return [name(file), [...new Set(targets.map(name))]];
    }),
  );
}

/**
 * importCycles lists the elementary cycles of graph (up to MAX_CYCLES), each once: it starts and ends
 * at its smallest module, e.g. `["a.ts", "b.ts", "a.ts"]`.
 */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  for (const start of [...graph.keys()].sort()) {
    // Only modules after start that lead back to it can be on a cycle rooted at start.
    const leadsBack = new Set<string>();
    const queue = [start];
    for (let node = queue.pop(); node !== undefined; node = queue.pop()) {
      for (const [from, targets] of graph) {
        if (from > start && targets.includes(node) && !leadsBack.has(from)) {
          leadsBack.add(from);
          queue.push(from);
        }
      }
    }
    const walk = (trail: string[]): void => {
      for (const next of graph.get(trail.at(-1)!) ?? []) {
        if (cycles.length >= MAX_CYCLES) return;
        if (next === start) cycles.push([...trail, start]);
        else if (leadsBack.has(next) && !trail.includes(next)) walk([...trail, next]);
      }
    };
    walk([start]);
  }
  return cycles;
}

describe("import cycles", () => {
  it("reads static, type-only, re-export and dynamic imports, and nothing in strings or comments", () => {
    const source = [
      `import a from "./a.js";`,
      `import type { B } from "../b.js";`,
      `import {\n  c,\n} from "./c.js";`,
      `export * from "./d.js";`,
      `export type { E } from "./e.js";`,
      `const f = await import("./f.js");`,
      `import "./g.js";`,
      `import { Code } from "@connectrpc/connect";`,
      `const text = "import x from './in-a-string.js'";`,
      `// import y from "./in-a-comment.js";`,
    ].join("\n");
    expect(relativeImports(source)).toEqual(["./a.js", "../b.js", "./c.js", "./d.js", "./e.js", "./f.js", "./g.js"]);
  });

  it("finds each elementary cycle once, self-imports included", () => {
    const graph = new Map([
      ["a.ts", ["b.ts", "d.ts"]],
      ["b.ts", ["c.ts", "a.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["d.ts"]],
      ["e.ts", ["a.ts"]],
    ]);
    expect(importCycles(graph)).toEqual([
      ["a.ts", "b.ts", "c.ts", "a.ts"],
      ["a.ts", "b.ts", "a.ts"],
      ["d.ts", "d.ts"],
    ]);
  });

  it("finds none among the modules of src/", () => {
    const cycles = importCycles(importGraph("src")).map((cycle) => cycle.join(" → "));
    expect(cycles).toEqual([]);
  });
});
