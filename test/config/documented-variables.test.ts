import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "@jest/globals";
import { loadConfig } from "../../src/config.js";

const read = (file: string) => fs.readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), "utf8");

/** variablesRead are the environment variables loadConfig looks at, found by watching it read. */
function variablesRead(): string[] {
  const seen = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get: (_, name) => {
      if (typeof name === "string") seen.add(name);
      return undefined;
    },
  });
  loadConfig(env);
  return [...seen].sort();
}

describe("configuration documentation", () => {
  const variables = variablesRead();

  it("finds the variables loadConfig reads", () => {
    expect(variables).toEqual(expect.arrayContaining(["PORT", "DATABASE_URL", "REDIS_URL", "LOG_LEVEL"]));
  });

  it("lists every variable in .env.example", () => {
    const listed = new Set([...read(".env.example").matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
    expect(variables.filter((name) => !listed.has(name))).toEqual([]);
    expect([...listed].filter((name) => !variables.includes(name))).toEqual([]);
  });

  it("describes every variable in README's configuration table", () => {
    const readme = read("README.md");
    const table = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 1));
    expect(variables.filter((name) => !table.includes(`\`${name}\``))).toEqual([]);
  });
});
