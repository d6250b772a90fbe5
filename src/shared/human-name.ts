/**
 * normalizeHumanName is how a name people read (a full name, a display name, a device label) is
 * stored: in Unicode NFC, then trimmed. NFC makes the same name typed on different keyboards ("ë"
 * as one code point or as "e" plus a combining diaeresis) one string, so it compares, searches and
 * exports alike.
 *
 * The API's human_name rule (proto/platform/user/v1/validation.proto) checks the name as sent, and
 * NFC cannot undo that check: no canonical decomposition holds a control, format or line-break
 * character, and composing only merges a base character with its marks into another visible one.
 * NFC can make a name longer, though (U+0958 becomes two code points), so a length limit that
 * matters must be checked again on the result.
 */
export function normalizeHumanName(name: string): string {
  return name.normalize("NFC").trim();
}

/** characterCount is a string's length in Unicode code points, as Postgres and protovalidate count. */
export const characterCount = (text: string) => [...text].length;
