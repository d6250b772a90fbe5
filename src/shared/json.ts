/** JsonObject is a JSON object as stored in a jsonb column: audit values, job payloads. */
export type JsonObject = { [key: string]: unknown };
