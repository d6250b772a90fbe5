import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { measureScreening, ordinaryNames, variantsOf } from "../../bench/screening.js";
import { loadConfig } from "../../src/config.js";
import { buildAppContext } from "../../src/context.js";
import { listedName, NameIndex, NameScreening, nameSimilarity, nameTokens, parseOfacList, parsePepList, type ListedParty } from "../../src/features/compliance/index.js";
import { createLogger } from "../../src/platform/logger.js";
import { TEST_DATA_KEY, testSigningKey } from "../support/app.js";
import { referenceDataFile } from "../support/reference-data.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/sanctions/", import.meta.url));
const fixture = (name: string) => fs.readFile(path.join(FIXTURES, name), "utf8");
const similarity = (query: string, listed: string) => nameSimilarity(nameTokens(query), listedName(listed));

describe("name matching", () => {
  it("reads names as Latin words in lower case, whatever the script, accents and punctuation", () => {
    expect(nameTokens("Владимир ПУТИН")).toEqual(["vladimir", "putin"]);
    // Greek "ου" comes out as "oy": one letter from the usual "ou", within a misspelling.
    expect(nameTokens("Νίκος Παπαδόπουλος")).toEqual(["nikos", "papadopoylos"]);
    expect(similarity("Νικόλαος Παπαδόπουλος", "PAPADOPOULOS, Nikolaos")).toBeGreaterThanOrEqual(0.9);
    expect(nameTokens("José Müller-Lüdenscheidt")).toEqual(["jose", "muller", "ludenscheidt"]);
    expect(nameTokens("O'Brien, Siobhán")).toEqual(["obrien", "siobhan"]);
    expect(nameTokens("AL-RASHIDI, Khalid bin Omar")).toEqual(["rashidi", "khalid", "omar"]);
    expect(nameTokens("NORTHWIND TRADING CO., LTD.")).toEqual(["northwind", "trading"]);
  });

  it("matches whatever the word order, with a middle name or a second surname left out, or a letter wrong", () => {
    expect(similarity("Dmitri Sergeyevich Volkov", "VOLKOV, Dmitri Sergeyevich")).toBe(1);
    expect(similarity("Dmitri Volkov", "VOLKOV, Dmitri Sergeyevich")).toBeGreaterThanOrEqual(0.9);
    expect(similarity("Luis Mendoza", "MENDOZA GUERRERO, Luis Alberto")).toBeGreaterThanOrEqual(0.9);
    expect(similarity("Dmitri Volkow", "VOLKOV, Dmitri")).toBeGreaterThanOrEqual(0.9);
  });

  it("does not match another first name, a shared surname alone, or one shared word", () => {
    expect(similarity("Maria Volkov", "VOLKOV, Dmitri Sergeyevich")).toBeLessThan(0.9);
    expect(similarity("Sergeyevich Volkov", "VOLKOV, Dmitri Sergeyevich")).toBeLessThan(0.9);
    expect(similarity("Volkov", "VOLKOV, Dmitri")).toBe(0);
    expect(similarity("Maria Garcia", "GAXIOLA GARCIA, Maria Elena")).toBeLessThan(0.9);
  });
});

describe("the OFAC list format", () => {
  it("reads sdn.csv with the aliases of alt.csv, programmes, kinds and OFAC's empty fields, past the end-of-file mark", async () => {
    const parties = parseOfacList(await fixture("sdn.csv"), await fixture("alt.csv"));
    expect(parties).toHaveLength(7);
    expect(parties.find((party) => party.id === "1003")).toEqual({
      id: "1003",
      name: "NORTHWIND TRADING CO., LTD.",
      kind: "entity",
      programs: ["IRAN", "NPWMD"],
      aliases: ["NORTHWIND TRADERS"],
    });
    expect(parties.find((party) => party.id === "1001")).toMatchObject({ kind: "individual", aliases: ["VOLKOV, Dmitry"] });
  });

  it("reads a PEP list of one name per line, with comments", async () => {
    expect(parsePepList(await fixture("pep.txt"))).toEqual([{ name: "Isabella Fontaine-Moreau" }, { name: "Tomasz Wielgosz" }]);
  });
});

describe("NameIndex on the synthetic list", () => {
  let index: NameIndex<ListedParty>;
  beforeAll(async () => {
    const parties = parseOfacList(await fixture("sdn.csv"), await fixture("alt.csv"));
    index = new NameIndex(parties.map((party) => ({ names: [party.name, ...party.aliases], entry: party })));
  });
  const found = (name: string) => index.search(name, 0.9).map((match) => `${match.entry.id} ${match.matchedName}`);

  it.each([
    ["the name in another script", "Дмитрий Волков", "1001 VOLKOV, Dmitry"],
    ["an alias", "Khaled Rashidi", "1002 RASHIDI, Khaled"],
    ["the name without its particle and a middle name", "Khalid Rashidi Hamad", "1002 AL-RASHIDI, Khalid Omar Hamad"],
    ["an apostrophe left out", "Siobhan OConnell", "1007 O'CONNELL, Siobhan Mary"],
    ["an entity without its legal form", "Northwind Trading", "1003 NORTHWIND TRADING CO., LTD."],
  ])("finds %s", (_, name, match) => {
    expect(found(name)[0]).toBe(match);
  });

  it("finds nobody for names not on the list, and each entry once, by its best name", () => {
    for (const name of ["John Smith", "Dmitri Ivanov", "Anna Volkova", "Trading"]) expect(found(name)).toEqual([]);
    expect(found("Dmitry Volkov")).toEqual(["1001 VOLKOV, Dmitry"]);
  });
});

describe("screening against the OFAC SDN list", () => {
  const sdn = referenceDataFile("ofac/sdn.csv");
  const itWithList = sdn ? it : it.skip;

  itWithList("finds at least 98 % of listed people written as people write their names, and flags under 2 % of ordinary names", async () => {
    const figures = await measureScreening(sdn!);
    expect(figures.listed_names).toBeGreaterThan(20_000);
    expect(figures.recall).toBeGreaterThanOrEqual(0.98);
    expect(figures.false_positive_rate).toBeLessThan(0.02);
  });

  it("perturbs list names the ways the recall figure counts", () => {
    let i = 0;
    const next = () => [0.5, 0.25, 0.75][i++ % 3]!;
    expect(variantsOf("MENDOZA GUERRERO, Luis Alberto", next)).toEqual([
      "Luis Alberto MENDOZA GUERRERO",
      "Luis MENDOZA GUERRERO",
      "Luis Alberto MENDOZA",
      "Luis Alberto MENDOZA GUERgERO",
      "lüis alberto mendoza guerrero",
    ]);
    expect(ordinaryNames(3, next)).toHaveLength(3);
  });
});

describe("NameScreening", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "screening-"));
    for (const name of ["sdn.csv", "alt.csv", "pep.txt"]) await fs.copyFile(path.join(FIXTURES, name), path.join(dir, name));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it("screens against both lists and reads a list again when it is replaced, keeping the old one while a replacement is unreadable", async () => {
    const screening = await NameScreening.open({ sanctionsFile: path.join(dir, "sdn.csv"), pepFile: path.join(dir, "pep.txt"), threshold: 0.9, log: createLogger("silent"), pollMs: 50 });
    try {
      expect(screening.screen("Tomasz Wielgosz").pep.map((match) => match.entry.name)).toEqual(["Tomasz Wielgosz"]);
      expect(screening.screen("Ivo Rebane").sanctions).toEqual([]);
      const replacement = path.join(dir, "sdn.next");
      await fs.writeFile(replacement, `${await fixture("sdn.csv")}2001,"REBANE, Ivo",individual,CYBER2,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n`);
      await fs.rename(replacement, path.join(dir, "sdn.csv"));
      const deadline = Date.now() + 5_000;
      while (screening.screen("Ivo Rebane").sanctions.length === 0 && Date.now() < deadline) await sleep(50);
      expect(screening.screen("Ivo Rebane").sanctions.map((match) => match.entry.id)).toEqual(["2001"]);

      await fs.writeFile(path.join(dir, "sdn.csv"), "not,a list\n");
      await sleep(500);
      expect(screening.screen("Ivo Rebane").sanctions.map((match) => match.entry.id)).toEqual(["2001"]);
    } finally {
      screening.close();
    }
  });

  it.each([
    ["SANCTIONS_LIST_FILE", { SANCTIONS_LIST_FILE: "missing/sdn.csv" }],
    ["PEP_LIST_FILE", { SANCTIONS_LIST_FILE: path.join(FIXTURES, "sdn.csv"), PEP_LIST_FILE: "missing/pep.txt" }],
  ])("stops the service at start naming %s when that list cannot be read", async (variable, env) => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-data-"));
    try {
      const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", DATA_DIR: dataDir, ...env });
      await expect(buildAppContext(config, { redis: null, signingKey: await testSigningKey(), dataKey: TEST_DATA_KEY })).rejects.toMatchObject({ variable });
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses a PEP list without a sanctions list, and a threshold outside 0.5–1", () => {
    expect(() => loadConfig({ PEP_LIST_FILE: "pep.txt" })).toThrow("PEP_LIST_FILE");
    expect(() => loadConfig({ SANCTIONS_LIST_FILE: "sdn.csv", SCREENING_MATCH_THRESHOLD: "0.2" })).toThrow("SCREENING_MATCH_THRESHOLD");
    expect(loadConfig({ SANCTIONS_LIST_FILE: "sdn.csv", SCREENING_MATCH_THRESHOLD: "0.85" }).screening).toMatchObject({ threshold: 0.85 });
  });
});
