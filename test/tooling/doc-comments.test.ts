import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "@jest/globals";
import ts from "typescript";

const repo = fileURLToPath(new URL("../../", import.meta.url));

const modules = (fs.readdirSync(path.join(repo, "src"), { recursive: true }) as string[])
  .filter((file) => file.endsWith(".ts"))
  .map((file) => `src/${file.split(path.sep).join("/")}`)
  .sort();

/** exported says whether a top-level statement carries the export keyword. */
const exported = (statement: ts.Statement) => ts.canHaveModifiers(statement) && (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** declaredNames are the names a top-level statement declares (several for `export const a = 1, b = 2`). */
function declaredNames(statement: ts.Statement): string[] {
  if (ts.isVariableStatement(statement)) return statement.declarationList.declarations.map((d) => d.name.getText());
  const name = (statement as { name?: ts.Node }).name;
  return name ? [name.getText()] : [];
}

/** docOf is the text of the last /** comment right before the statement, without its markers. */
function docOf(statement: ts.Statement, source: ts.SourceFile): string | undefined {
  const ranges = ts.getLeadingCommentRanges(source.text, statement.getFullStart()) ?? [];
  const last = ranges.at(-1);
  const text = last && source.text.slice(last.pos, last.end);
  if (!text?.startsWith("/**")) return undefined;
  return text
    .replace(/^\/\*\*|\*\/$/g, "")
    .split("\n")
    .map((line) => line.replace(/^\s*\* ?/, ""))
    .join(" ")
    .trim();
}

/**
 * undocumented lists, for one module, each exported declaration whose TSDoc comment is missing or
 * does not start with the declared name (the sentence states its contract: "X is…", "X returns…").
 */
function undocumented(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(path.join(repo, file), "utf8"), ts.ScriptTarget.Latest, true);
  return source.statements.filter(exported).flatMap((statement) => {
    const doc = docOf(statement, source);
    return declaredNames(statement)
      .filter((name) => !doc || !new RegExp(`^${name}\\b`).test(doc))
      .map((name) => `${file}: ${name}${doc ? ` (its comment starts "${doc.slice(0, 40)}")` : ""}`);
  });
}

describe("TSDoc", () => {
  it("reads the modules of src/", () => {
    expect(modules.length).toBeGreaterThan(20);
    expect(undocumented("src/db/transaction.ts")).toEqual([]);
  });

  it("documents every exported declaration of src/ with a sentence that starts with its name", () => {
    expect(modules.flatMap(undocumented)).toEqual([]);
  });
});
