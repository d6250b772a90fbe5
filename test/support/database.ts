import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Kysely, PostgresDialect } from "kysely";
import { migrateToLatest } from "../../src/db/migrate.js";
import { POSTGRES_ADMIN_URL } from "./services.js";

const migrationsDir = fileURLToPath(new URL("../../migrations", import.meta.url));

// The template's name changes with the migrations' content, so an edited migration gets a new template.
function templateName(): string {
  const hash = createHash("sha256");
  for (const file of fs.readdirSync(migrationsDir).sort()) hash.update(file).update(fs.readFileSync(path.join(migrationsDir, file)));
  return `user_service_tpl_${hash.digest("hex").slice(0, 12)}`;
}

function urlFor(database: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function ensureTemplate(admin: pg.Client, name: string): Promise<void> {
  // Parallel jest workers: one builds the template, the others wait on the lock.
  await admin.query("select pg_advisory_lock(48151623)");
  try {
    const exists = await admin.query("select 1 from pg_database where datname = $1", [name]);
    if (exists.rowCount) return;
    await admin.query(`create database "${name}"`);
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: urlFor(name), max: 1 }) }) });
    try {
      await migrateToLatest(db);
    } finally {
      await db.destroy();
    }
  } finally {
    await admin.query("select pg_advisory_unlock(48151623)");
  }
}

/** TestDatabase is a fresh, migrated database of the suite's own. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** createTestDatabase copies the migrated template into a new database (fast: a file copy). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  const template = templateName();
  const name = `user_service_test_${randomBytes(6).toString("hex")}`;
  try {
    await ensureTemplate(admin, template);
    await admin.query(`create database "${name}" template "${template}"`);
  } finally {
    await admin.end();
  }
  return {
    url: urlFor(name),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
