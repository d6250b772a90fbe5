import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Paths pino blanks in every log line. Secrets must never be logged in the first place; this is the
 * net under that rule for objects logged whole (requests, headers, errors carrying a request).
 */
const redactPaths = [
  "password",
  "*.password",
  "refreshToken",
  "*.refreshToken",
  "accessToken",
  "*.accessToken",
  "idToken",
  "*.idToken",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "secret",
  "*.secret",
];

/**
 * createLogger builds the JSON logger all components share. Lines go to stdout asynchronously, a
 * write per batch rather than per line; pino flushes what is pending when the process exits and
 * after every fatal line.
 */
export function createLogger(level: string, destination: pino.DestinationStream = pino.destination({ dest: 1, sync: false })): Logger {
  return pino(
    {
      level,
      base: { service: "user-service" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: "[redacted]" },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
