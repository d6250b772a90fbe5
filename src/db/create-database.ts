import fs from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, PostgresDialect } from "kysely";
import { PGliteDialect } from "kysely-pglite-dialect";
import pg from "pg";
import { lockDataDir } from "./data-dir-lock.js";
import type { Db } from "./database.js";
import { tracedDialect } from "./traced-dialect.js";

// Postgres returns bigint (int8) as a string by default; ours are sequence numbers that fit a JS
// number only for a while, so they stay strings. Timestamps parse to Date (the default).

/** DatabaseHandle is the Kysely instance plus what readiness checks and shutdown need. */
export interface DatabaseHandle {
  db: Db;
  mode: "postgres" | "embedded";
  /** The data directory this process holds the embedded database in, when it opened one there. */
  dataDir?: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** connectPostgres opens a pool on DATABASE_URL. */
export function connectPostgres(databaseUrl: string, maxConnections = 20): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: maxConnections,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // A connection dropping (the server restarting, the database dropped) must not crash the process,
  // whether its client sits idle in the pool or is checked out between two statements: the query
  // running on it, or the next one, reports it.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  const db: Db = new Kysely({ dialect: tracedDialect(new PostgresDialect({ pool })) });
  return {
    db,
    mode: "postgres",
    ping: async () => {
      await pool.query("select 1");
    },
    close: () => db.destroy(),
  };
}

/**
 * openEmbedded opens (or creates) a file-backed PGlite database under dataDir, which it holds
 * alone until close(): a second process asking for the same directory gets DataDirInUse.
 */
export async function openEmbedded(dataDir: string): Promise<DatabaseHandle> {
  const unlock = await lockDataDir(dataDir);
  try {
    const dir = path.join(dataDir, "pglite");
    await fs.mkdir(dir, { recursive: true });
    return { ...embeddedHandle(await PGlite.create({ dataDir: dir }), unlock), dataDir };
  } catch (error) {
    await unlock();
    throw error;
  }
}

/** embeddedHandle wraps an open PGlite instance (tests pass in-memory ones); afterClose runs once it is closed. */
export function embeddedHandle(client: PGlite, afterClose: () => Promise<void> = async () => {}): DatabaseHandle {
  const db: Db = new Kysely({ dialect: tracedDialect(new PGliteDialect(client)) });
  return {
    db,
    mode: "embedded",
    ping: async () => {
      await client.query("select 1");
    },
    close: async () => {
      await db.destroy();
      if (!client.closed) await client.close();
      await afterClose();
    },
  };
}
