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

  const listed = [...read(".env.example").matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
  const readme = read("README.md");
  const table = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 1));

  it("lists every variable in .env.example", () => {
    expect(variables.filter((name) => !listed.includes(name))).toEqual([]);
  });

  // Some variables are read only when another is set (ADMIN_HOST with ADMIN_PORT): README is the
  // reference for what .env.example lists, so nothing there goes unexplained.
  it("describes every variable in README's configuration table", () => {
    expect([...new Set([...variables, ...listed])].filter((name) => !table.includes(`\`${name}\``))).toEqual([]);
  });
});
