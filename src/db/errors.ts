/** isUniqueViolation says whether error is Postgres' unique_violation on the named constraint or index. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown };
  if (e?.code !== "23505") return false;
  // pg reports the constraint name; PGlite only names it in the message.
  return e.constraint === constraint || (typeof e.message === "string" && e.message.includes(`"${constraint}"`));
}
