import { createHash } from "node:crypto";
import { DomainError } from "./domain-error.js";

/** PagePosition is where a page of a list ordered by a time and an id starts: after this item. */
export interface PagePosition {
  at: Date;
  id: string;
}

/** invalidPageToken refuses a page token this service did not issue. */
export const invalidPageToken = () => new DomainError("invalid_argument", "page_token_invalid", "page_token: not a token from an earlier page");

/**
 * writePageToken is the opaque page token for the position after an item. A list whose pages
 * depend on filters passes their scope (see filterScope), so a token only continues the same list.
 */
export function writePageToken(position: PagePosition, scope = ""): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id, scope])).toString("base64url");
}

/** readPageToken reads a token writePageToken made for the same scope; anything else is INVALID_ARGUMENT. */
export function readPageToken(token: string, scope = ""): PagePosition {
  try {
    const [at, id, tokenScope = ""] = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as [string, string, string?];
    const position = { at: new Date(at), id };
    if (Number.isNaN(position.at.getTime()) || typeof id !== "string" || !/^[0-9a-f-]{36}$/.test(id)) throw new Error("malformed");
    if (tokenScope !== scope) throw new Error("from another list");
    return position;
  } catch {
    throw invalidPageToken();
  }
}

/**
 * pageOf splits rows fetched with one row more than the limit into the page and the token of the
 * next one (empty on the last page).
 */
export function pageOf<Row>(rows: Row[], limit: number, positionOf: (row: Row) => PagePosition, scope = ""): { page: Row[]; nextPageToken: string } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { page, nextPageToken: rows.length > limit && last ? writePageToken(positionOf(last), scope) : "" };
}

/** filterScope is a short digest of a list's filters, the scope its page tokens are bound to. */
export function filterScope(filters: Record<string, unknown>): string {
  return createHash("sha256").update(JSON.stringify(filters)).digest("base64url").slice(0, 16);
}
