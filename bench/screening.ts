// Sanctions screening quality and speed: recall on list names written the ways people write their
// own, false positives on ordinary names, and time per name. Runs on its own too:
//   SANCTIONS_LIST_FILE=path/to/sdn.csv node --import tsx bench/screening.ts
import path from "node:path";
import { fileURLToPath } from "node:url";
import { NameIndex } from "../src/features/compliance/name-index.js";
import { loadOfacList, type ListedParty } from "../src/features/compliance/sanctions-list.js";

/** The service's default threshold (SCREENING_MATCH_THRESHOLD). */
const THRESHOLD = 0.9;
const SAMPLE = 1_000;

/** A small deterministic generator (mulberry32), so every run perturbs the same way. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACCENTED: Record<string, string> = { a: "á", e: "é", i: "í", o: "ö", u: "ü", n: "ñ", c: "ç" };

/**
 * Ways a listed person's name gets written, from "SURNAME, Given Names": given names first, a middle
 * name left out, the second surname left out, one letter wrong, accents and lower case.
 */
export function variantsOf(listed: string, next: () => number): string[] {
  const [surnamePart = "", givenPart = ""] = listed.split(",").map((part) => part.trim());
  const surname = surnamePart.split(/\s+/).filter(Boolean);
  const given = givenPart.split(/\s+/).filter(Boolean);
  if (surname.length === 0 || given.length === 0) return [];
  const variants = [[...given, ...surname].join(" ")];
  if (given.length > 1) variants.push([given[0], ...given.slice(2), ...surname].join(" "));
  // A second surname left out; not where the first "surname" word is a particle (AL, BIN, DA).
  if (surname.length > 1 && surname.every((word) => word.length >= 4)) variants.push([...given, surname[0]].join(" "));
  const words = [...given, ...surname];
  const longest = words.reduce((a, b) => (b.length > a.length ? b : a));
  // One letter wrong, not the first, in the longest word of five letters or more.
  const letters = [...longest].flatMap((ch, i) => (i > 0 && /[A-Za-z]/.test(ch) ? [i] : []));
  if (longest.length >= 5 && letters.length > 0) {
    const at = letters[Math.floor(next() * letters.length)]!;
    const letter = String.fromCharCode(97 + Math.floor(next() * 26));
    variants.push(words.map((word) => (word === longest ? word.slice(0, at) + letter + word.slice(at + 1) : word)).join(" "));
  }
  variants.push(words.join(" ").toLowerCase().replace(/[aeiounc]/, (ch) => ACCENTED[ch] ?? ch));
  return variants;
}

// Ordinary names from many places, combined first × family name: a screening that flags many of
// them would bury compliance officers in reviews.
const FIRST_NAMES = [
  ...["James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "William", "Elizabeth", "Oliver", "Amelia", "Harry", "Isla"],
  ...["José", "María", "Juan", "Carmen", "Luis", "Ana", "Carlos", "Lucía", "Pedro", "Sofía", "Diego", "Valentina"],
  ...["Mohammed", "Fatima", "Ahmed", "Aisha", "Omar", "Layla", "Yusuf", "Mariam", "Hassan", "Noor", "Khalid", "Huda"],
  ...["Ivan", "Olga", "Sergei", "Natalia", "Dmitri", "Elena", "Alexei", "Irina", "Wei", "Li", "Min", "Hui"],
  ...["Priya", "Rahul", "Ananya", "Arjun", "Kenji", "Yuki", "Hiroshi", "Sakura", "Kwame", "Amara", "Chinedu", "Zainab"],
  ...["Lukas", "Anna", "Jonas", "Lea", "Pierre", "Camille", "Giulia", "Marco", "Jan", "Eva", "Mehmet", "Elif"],
];
const FAMILY_NAMES = [
  ...["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor", "Clark", "Walker", "Wright", "Thompson", "Evans"],
  ...["García", "Martínez", "López", "González", "Pérez", "Sánchez", "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz"],
  ...["Haddad", "Nasser", "Khoury", "Saleh", "Farouk", "Mansour", "Aziz", "Karimi", "Rahman", "Siddiqui", "Qureshi", "Hamdan"],
  ...["Ivanov", "Smirnova", "Kuznetsov", "Popova", "Sokolov", "Lebedeva", "Novak", "Kowalski", "Wang", "Chen", "Liu", "Huang"],
  ...["Sharma", "Patel", "Gupta", "Iyer", "Tanaka", "Suzuki", "Watanabe", "Sato", "Mensah", "Okafor", "Adeyemi", "Nwosu"],
  ...["Müller", "Schmidt", "Schneider", "Fischer", "Dubois", "Moreau", "Rossi", "Russo", "de Vries", "Jansen", "Yılmaz", "Kaya"],
];

/** ordinaryNames combines first and family names, count of them, spread over the lists. */
export function ordinaryNames(count: number, next: () => number): string[] {
  return Array.from({ length: count }, () => `${FIRST_NAMES[Math.floor(next() * FIRST_NAMES.length)]} ${FAMILY_NAMES[Math.floor(next() * FAMILY_NAMES.length)]}`);
}

/** ScreeningFigures are the bench/results.json `screening` figures. */
export interface ScreeningFigures {
  list: string;
  listed_names: number;
  ms_per_name: number;
  recall: number;
  false_positive_rate: number;
  threshold: number;
}

/** measureScreening measures screening against the OFAC list at file. */
export async function measureScreening(file: string): Promise<ScreeningFigures> {
  const { parties } = await loadOfacList(file);
  const index = new NameIndex(parties.map((party) => ({ names: [party.name, ...party.aliases], entry: party })));
  const next = random(42);
  const people = parties.filter((party) => party.kind === "individual" && party.name.includes(","));
  const sample = Array.from({ length: Math.min(SAMPLE, people.length) }, (_, i) => people[Math.floor((i * people.length) / Math.min(SAMPLE, people.length))]!);
  const perturbed: Array<{ name: string; party: ListedParty }> = sample.flatMap((party) => variantsOf(party.name, next).map((name) => ({ name, party })));
  const ordinary = ordinaryNames(2_000, next);

  const started = performance.now();
  const found = perturbed.filter(({ name, party }) => index.search(name, THRESHOLD).some((match) => match.entry === party)).length;
  const flagged = ordinary.filter((name) => index.search(name, THRESHOLD).length > 0).length;
  const elapsed = performance.now() - started;
  const round = (value: number, digits = 3) => Number(value.toFixed(digits));
  return {
    list: path.basename(path.dirname(path.resolve(file))) + "/" + path.basename(file),
    listed_names: index.size,
    ms_per_name: round(elapsed / (perturbed.length + ordinary.length), 4),
    recall: round(found / perturbed.length),
    false_positive_rate: round(flagged / ordinary.length),
    threshold: THRESHOLD,
  };
}

/** The list the bench screens against: SANCTIONS_LIST_FILE, else the small synthetic list the tests use. */
export const benchSanctionsList = () => process.env.SANCTIONS_LIST_FILE || fileURLToPath(new URL("../test/fixtures/sanctions/sdn.csv", import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.table(await measureScreening(benchSanctionsList()));
}
