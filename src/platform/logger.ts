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

/**
 * routeConsoleTo sends what libraries print with console.* to the JSON log, so every line the
 * process writes is JSON (connect-node, for one, reports a response it could not write to a
 * client that went away with console.error). It returns a function that restores the console.
 */
export function routeConsoleTo(log: Logger): () => void {
  const original = { log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug };
  const forward = (level: "debug" | "info" | "warn" | "error") => (...args: unknown[]) => {
    const err = args.find((arg): arg is Error => arg instanceof Error);
    const text = args.filter((arg) => arg !== err).map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" ");
    log[level]({ ...(err && { err }), source: "console" }, text);
  };
  Object.assign(console, { log: forward("info"), info: forward("info"), warn: forward("warn"), error: forward("error"), debug: forward("debug") });
  return () => Object.assign(console, original);
}
