import fs from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../../platform/logger.js";
import { NameIndex, type NameMatch } from "./name-index.js";
import { loadOfacList, type ListedParty } from "./sanctions-list.js";

/** PoliticallyExposed is one name of the PEP list. */
export interface PoliticallyExposed {
  name: string;
}

/** ScreeningResult is what screening a name found on each list, best matches first. */
export interface ScreeningResult {
  sanctions: NameMatch<ListedParty>[];
  pep: NameMatch<PoliticallyExposed>[];
}

/** ScreeningLists are the lists names are screened against, loaded and indexed. */
interface ScreeningLists {
  sanctions: NameIndex<ListedParty>;
  pep: NameIndex<PoliticallyExposed>;
}

/** parsePepList reads a PEP list: one name per line; blank lines and `#` comments are skipped. */
export function parsePepList(text: string): PoliticallyExposed[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, "").trim())
    .filter(Boolean)
    .map((name) => ({ name }));
}

/** ScreeningListError says which list could not be used, and why. */
export class ScreeningListError extends Error {
  constructor(
    readonly list: "sanctions" | "pep",
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "ScreeningListError";
  }
}

/** loadScreeningLists reads and indexes the OFAC list at sanctionsFile (alt.csv beside it) and the PEP list. */
async function loadScreeningLists(sanctionsFile: string, pepFile: string | undefined): Promise<ScreeningLists> {
  const [{ parties }, peps] = await Promise.all([
    loadOfacList(sanctionsFile).catch((error: unknown) => {
      throw new ScreeningListError("sanctions", error);
    }),
    pepFile
      ? readFile(pepFile, "utf8").then(parsePepList, (error: unknown) => {
          throw new ScreeningListError("pep", error);
        })
      : [],
  ]);
  return {
    sanctions: new NameIndex(parties.map((party) => ({ names: [party.name, ...party.aliases], entry: party }))),
    pep: new NameIndex(peps.map((pep) => ({ names: [pep.name], entry: pep }))),
  };
}

/** ScreeningOptions configure NameScreening. */
export interface ScreeningOptions {
  sanctionsFile: string;
  pepFile: string | undefined;
  /** The least name similarity (0–1) that counts as a potential match. */
  threshold: number;
  log: Logger;
  /** How often the files are checked for a change. */
  pollMs?: number;
}

/**
 * NameScreening screens names against the sanctions (OFAC SDN) and PEP lists. The files are read
 * at start, and again when either changes, so a list update needs no restart; a changed file that
 * cannot be read keeps the lists already loaded, and says so in the log. Nothing is downloaded.
 */
export class NameScreening {
  private constructor(
    private lists: ScreeningLists,
    private readonly options: ScreeningOptions,
  ) {}

  /** open loads the lists and watches their files; a list that cannot be used fails here. */
  static async open(options: ScreeningOptions): Promise<NameScreening> {
    const screening = new NameScreening(await loadScreeningLists(options.sanctionsFile, options.pepFile), options);
    screening.watch();
    return screening;
  }

  /** screen finds the listed names similar enough to fullName. */
  screen(fullName: string): ScreeningResult {
    const { threshold } = this.options;
    return { sanctions: this.lists.sanctions.search(fullName, threshold), pep: this.lists.pep.search(fullName, threshold) };
  }

  /** listedNames counts the names (with aliases) screening compares against, per list. */
  listedNames(): { sanctions: number; pep: number } {
    return { sanctions: this.lists.sanctions.size, pep: this.lists.pep.size };
  }

  /** close stops watching the files. */
  close(): void {
    for (const file of this.files()) fs.unwatchFile(file, this.reload);
  }

  private files(): string[] {
    const { sanctionsFile, pepFile } = this.options;
    return [sanctionsFile, path.join(path.dirname(sanctionsFile), "alt.csv"), ...(pepFile ? [pepFile] : [])];
  }

  private watch(): void {
    // Polling, not fs.watch: it follows a file replaced by a rename, the usual way lists are updated.
    for (const file of this.files()) fs.watchFile(file, { interval: this.options.pollMs ?? 5_000, persistent: false }, this.reload);
  }

  private readonly reload = (): void => {
    const { sanctionsFile, pepFile, log } = this.options;
    loadScreeningLists(sanctionsFile, pepFile).then(
      (lists) => {
        this.lists = lists;
        log.info({ sanctionsNames: lists.sanctions.size, pepNames: lists.pep.size }, "screening lists reloaded");
      },
      (error: unknown) => log.error({ err: error }, "a screening list changed but cannot be read: screening goes on with the lists loaded before"),
    );
  };
}
