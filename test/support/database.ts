import { randomBytes } from "node:crypto";
import pg from "pg";
import { Kysely, PostgresDialect, sql } from "kysely";
import type { Db } from "../../src/db/database.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { POSTGRES_ADMIN_URL } from "./services.js";

/** databaseUrl is the URL of a database on the test Postgres server. */
export function databaseUrl(database: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** withAdmin runs `use` on an admin connection to the test Postgres server, closed afterwards. */
export async function withAdmin<T>(use: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.end();
  }
}

/**
 * createTemplateDatabase builds a migrated database for this test run to copy, and returns its
 * name. Each run has its own, so runs side by side never drop each other's.
 */
export async function createTemplateDatabase(): Promise<string> {
  const name = `user_service_tpl_${randomBytes(6).toString("hex")}`;
  await withAdmin((admin) => admin.query(`create database "${name}"`));
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl(name), max: 1 }) }) });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  return name;
}

/** dropTemplateDatabase removes a run's template once the run is over. */
export async function dropTemplateDatabase(name: string): Promise<void> {
  await withAdmin((admin) => admin.query(`drop database if exists "${name}" with (force)`));
}

/** templateName is the run's template, made by jest's global set-up (test/support/global-setup.ts). */
function templateName(): string {
  const name = process.env.TEST_TEMPLATE_DATABASE;
  if (!name) throw new Error("no template database: run the suites with jest's configuration (npm test), whose global set-up makes it");
  return name;
}

/** TestDatabase is a fresh, migrated database of the suite's own. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** createTestDatabase copies the run's migrated template into a new database (fast: a file copy). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = templateName();
  const name = `user_service_test_${randomBytes(6).toString("hex")}`;
  await withAdmin((admin) => admin.query(`create database "${name}" template "${template}"`));
  return {
    url: databaseUrl(name),
    drop: () => withAdmin((admin) => admin.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}

/** dumpDatabase is every row of every table of db as JSON text: what a stolen backup would hold. */
export async function dumpDatabase(db: Db): Promise<string> {
  const tables = await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = 'public'`.execute(db);
  const dumps = await Promise.all(tables.rows.map(({ name }) => sql<{ row: string }>`select row_to_json(x)::text as row from ${sql.table(name)} x`.execute(db)));
  return dumps.flatMap((dump) => dump.rows.map((r) => r.row)).join("\n");
}
