import fs from "node:fs/promises";
import path from "node:path";
import { parse } from "csv-parse/sync";

/** ListedParty is one entry of a sanctions list with every name it goes by. */
export interface ListedParty {
  /** The list's own id of the entry (OFAC's ent_num). */
  id: string;
  /** The name the list files the entry under. */
  name: string;
  /** individual, entity, vessel or aircraft. */
  kind: string;
  /** The sanctions programmes the entry is listed under. */
  programs: string[];
  /** Other names: a.k.a., f.k.a., n.k.a. */
  aliases: string[];
}

/** OFAC writes an empty field as "-0-". */
const field = (value: string | undefined) => (value === undefined || value === "-0-" ? "" : value);

function rows(csv: string): string[][] {
  // OFAC's files end with a SUB (0x1A) control character on a line of its own.
  return (parse(csv, { trim: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true }) as string[][]).filter((row) => row.length >= 4);
}

/**
 * parseOfacList reads the OFAC SDN list in its published CSV format: sdn.csv (ent_num, SDN_Name,
 * SDN_Type, Program, ...) and, when given, alt.csv (ent_num, alt_num, alt_type, alt_name, ...).
 */
export function parseOfacList(sdnCsv: string, altCsv = ""): ListedParty[] {
  const parties = new Map<string, ListedParty>();
  for (const [id = "", name = "", kind = "", programs = ""] of rows(sdnCsv)) {
    if (!/^\d+$/.test(id) || field(name) === "") continue;
    parties.set(id, { id, name, kind: field(kind) || "entity", programs: field(programs).split(/\]\s*\[|[[\]]/).map((p) => p.trim()).filter(Boolean), aliases: [] });
  }
  for (const [id = "", , , alias = ""] of rows(altCsv)) {
    const party = parties.get(id);
    if (party && field(alias) !== "") party.aliases.push(alias);
  }
  return [...parties.values()];
}

/** loadOfacList reads sdn.csv at file and alt.csv beside it; a missing alt.csv means no aliases. */
export async function loadOfacList(file: string): Promise<{ parties: ListedParty[]; aliasFile: string | undefined }> {
  const aliasFile = path.join(path.dirname(file), "alt.csv");
  const [sdn, alt] = await Promise.all([
    fs.readFile(file, "utf8"),
    fs.readFile(aliasFile, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    }),
  ]);
  const parties = parseOfacList(sdn, alt);
  if (parties.length === 0) throw new Error(`${file} lists no entry in OFAC's SDN CSV format`);
  return { parties, aliasFile: alt === undefined ? undefined : aliasFile };
}
