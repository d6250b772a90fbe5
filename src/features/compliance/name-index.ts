import { listedName, nameSimilarity, nameTokens, tokenSimilarity, TOKEN_FLOOR, type ListedName } from "./name-matching.js";

/** IndexedName is one name of a listed party, as the index holds it. */
export interface IndexedName<T> {
  /** The name as the list writes it. */
  name: string;
  words: ListedName;
  entry: T;
}

/** NameMatch is a listed name found similar enough to a screened one. */
export interface NameMatch<T> {
  entry: T;
  /** The listed name that matched: the entry's own or an alias. */
  matchedName: string;
  /** 0–1: how alike the names are (see nameSimilarity). */
  score: number;
}

/** deletions is a word with each single letter left out in turn: two words one edit apart share one. */
function deletions(token: string): string[] {
  const out = [token];
  for (let i = 0; i < token.length; i++) out.push(token.slice(0, i) + token.slice(i + 1));
  return out;
}

/** Words this short are looked up as written only: their deletions would reach half the list. */
const SHORTEST_FUZZY_WORD = 4;

/**
 * NameIndex finds the listed names similar to a screened name without comparing it with every
 * name: words are indexed with their single-letter deletions (symmetric-delete lookup), so a
 * misspelt word finds the listed word one edit away, and only names that share a word, or nearly,
 * with at least two of the screened name's words (one, for a one-word name) are scored.
 */
export class NameIndex<T> {
  private readonly names: IndexedName<T>[] = [];
  /** Every distinct word of the listed names. */
  private readonly words: string[] = [];
  private readonly wordIds = new Map<string, number>();
  /** Word id → the names that contain it. */
  private readonly postings: number[][] = [];
  /** A word or one of its deletions → the ids of the words it stands for. */
  private readonly keys = new Map<string, number[]>();

  constructor(entries: Iterable<{ names: readonly string[]; entry: T }>) {
    for (const { names, entry } of entries) {
      for (const name of names) this.add(name, entry);
    }
  }

  get size(): number {
    return this.names.length;
  }

  private add(name: string, entry: T): void {
    const words = listedName(name);
    if (words.tokens.length === 0) return;
    const nameId = this.names.push({ name, words, entry }) - 1;
    for (const token of new Set(words.tokens)) this.postings[this.wordId(token)]!.push(nameId);
  }

  private wordId(token: string): number {
    const known = this.wordIds.get(token);
    if (known !== undefined) return known;
    const id = this.words.push(token) - 1;
    this.wordIds.set(token, id);
    this.postings.push([]);
    for (const key of token.length >= SHORTEST_FUZZY_WORD ? deletions(token) : [token]) {
      const ids = this.keys.get(key);
      if (ids) ids.push(id);
      else this.keys.set(key, [id]);
    }
    return id;
  }

  /** nearWords are the listed words as similar as TOKEN_FLOOR to the token, by id. */
  private nearWords(token: string): Set<number> {
    const near = new Set<number>();
    for (const key of token.length >= SHORTEST_FUZZY_WORD ? deletions(token) : [token]) {
      for (const id of this.keys.get(key) ?? []) {
        if (!near.has(id) && tokenSimilarity(token, this.words[id]!) >= TOKEN_FLOOR) near.add(id);
      }
    }
    return near;
  }

  /** search returns the listed names scoring at least threshold against name, best first, one per entry. */
  search(name: string, threshold: number): NameMatch<T>[] {
    const tokens = nameTokens(name);
    const distinct = [...new Set(tokens)];
    if (tokens.length === 0) return [];
    // How many of the screened name's words each listed name shares, or nearly.
    const shared = new Map<number, number>();
    for (const token of distinct) {
      const names = new Set<number>();
      for (const wordId of this.nearWords(token)) for (const nameId of this.postings[wordId]!) names.add(nameId);
      for (const nameId of names) shared.set(nameId, (shared.get(nameId) ?? 0) + 1);
    }
    const needed = Math.min(2, distinct.length);
    const best = new Map<T, NameMatch<T>>();
    for (const [nameId, count] of shared) {
      if (count < needed) continue;
      const listed = this.names[nameId]!;
      const score = nameSimilarity(tokens, listed.words);
      if (score < threshold) continue;
      const current = best.get(listed.entry);
      if (!current || score > current.score) best.set(listed.entry, { entry: listed.entry, matchedName: listed.name, score });
    }
    return [...best.values()].sort((a, b) => b.score - a.score);
  }
}
