import anyAscii from "any-ascii";
import { distance } from "fastest-levenshtein";

/**
 * Words that say what kind of thing a name is rather than which one: legal forms of entities,
 * joining words and the particles of family names ("al-", "bin", "de la", "van der"), which
 * people write, hyphenate or leave out as they please. They neither make two names alike nor set
 * them apart.
 */
const NOISE_WORDS = new Set([
  ...["the", "and", "of", "co", "company", "corp", "corporation", "inc", "ltd", "limited", "llc", "plc", "sa", "gmbh"],
  ...["al", "el", "bin", "ibn", "bint", "de", "del", "la", "le", "da", "do", "dos", "du", "van", "von", "der"],
]);

/**
 * nameTokens is a name as the words screening compares: transliterated to Latin letters (Cyrillic,
 * Greek, Arabic and the rest, diacritics dropped), lower case, apostrophes joined ("O'Brien" is
 * "obrien"), other punctuation a word break, noise words left out. Word order is not kept: lists
 * write "SURNAME, Given Names".
 */
export function nameTokens(name: string): string[] {
  return anyAscii(name)
    .toLowerCase()
    .replace(/['`]/g, "")
    .split(/[^a-z0-9]+/)
    .filter((token) => token !== "" && !NOISE_WORDS.has(token));
}

/** TOKEN_FLOOR is the least similarity at which two words count as the same word misspelt. */
export const TOKEN_FLOOR = 0.75;

/**
 * tokenSimilarity is 1 for equal words, falling with each edit (Levenshtein) relative to the
 * longer word; an initial matches any word it begins ("j" and "john") at 0.9.
 */
export function tokenSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  if ((a.length === 1 || b.length === 1) && a[0] === b[0]) return 0.9;
  return 1 - distance(a, b) / Math.max(a.length, b.length);
}

/** MISSING_WORD is how much each word a listed name has but the screened name leaves out costs its score. */
export const MISSING_WORD = {
  /** The first given name of a "SURNAME, Given Names" entry: another first name is another person. */
  firstName: 0.2,
  /** The first word of the surname: a surname shared is half of a name. */
  surname: 0.12,
  /** Any other word, such as a middle name. */
  other: 0.04,
};

/** ListedName is a listed name's words and what leaving each out costs (MISSING_WORD). */
export interface ListedName {
  tokens: string[];
  missingCost: number[];
}

/**
 * listedName reads a name as lists write it. In "SURNAME, Given Names" (OFAC's form for people) the
 * words before the comma are the surname and the first word after it the first name; other names
 * have no known structure and every word costs the same when left out. Later surname words cost as
 * little as middle names: people with two surnames often go by the first.
 */
export function listedName(name: string): ListedName {
  const comma = name.indexOf(",");
  if (comma < 0) {
    const tokens = nameTokens(name);
    return { tokens, missingCost: tokens.map(() => MISSING_WORD.other) };
  }
  const surname = nameTokens(name.slice(0, comma));
  const given = nameTokens(name.slice(comma + 1));
  return {
    tokens: [...surname, ...given],
    missingCost: [...surname.map((_, i) => (i === 0 ? MISSING_WORD.surname : MISSING_WORD.other)), ...given.map((_, i) => (i === 0 ? MISSING_WORD.firstName : MISSING_WORD.other))],
  };
}

/**
 * nameSimilarity compares a screened name with a listed one word by word, order aside: each word of
 * the shorter is paired with its most similar unpaired word of the longer (greedily, best pairs
 * first). The score is the pairs' mean similarity over the shorter name's words, so a left-out
 * middle name still matches, less what each unpaired word costs: a listed word its MISSING_WORD
 * cost, a screened word the cost of any other word. A name of one word only matches a name of one
 * word: one shared word is no evidence of one person.
 */
export function nameSimilarity(query: readonly string[], listed: ListedName): number {
  const candidate = listed.tokens;
  const queryShorter = query.length <= candidate.length;
  const [shorter, longer] = queryShorter ? [query, candidate] : [candidate, query];
  if (shorter.length === 0 || (shorter.length === 1 && longer.length > 1)) return 0;
  const pairs: Array<{ i: number; j: number; similarity: number }> = [];
  for (const [i, a] of query.entries()) {
    for (const [j, b] of candidate.entries()) {
      const similarity = tokenSimilarity(a, b);
      if (similarity >= TOKEN_FLOOR) pairs.push({ i, j, similarity });
    }
  }
  pairs.sort((x, y) => y.similarity - x.similarity);
  const pairedQuery = new Set<number>();
  const pairedListed = new Set<number>();
  let total = 0;
  for (const { i, j, similarity } of pairs) {
    if (pairedQuery.has(i) || pairedListed.has(j)) continue;
    pairedQuery.add(i);
    pairedListed.add(j);
    total += similarity;
  }
  let missing = (query.length - pairedQuery.size) * MISSING_WORD.other;
  for (const [j, cost] of listed.missingCost.entries()) if (!pairedListed.has(j)) missing += cost;
  return Math.max(0, total / shorter.length - missing);
}
