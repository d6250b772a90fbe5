import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "@jest/globals";
import ts from "typescript";
import { ORGANIZATION_ROLES } from "../../src/features/authorization/index.js";
import { IDENTITY_PROVIDERS, REGISTRATION_TYPES } from "../../src/shared/identity-providers.js";
import { PLATFORM_ROLES } from "../../src/shared/principal.js";
import { USER_STATUSES, VERIFICATION_STATUSES } from "../../src/shared/user-status.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));

/** sources maps every .ts module under src/ (repository-relative, `/`-separated) to its text. */
const sources: ReadonlyMap<string, string> = new Map(
  (fs.readdirSync(path.join(repo, "src"), { recursive: true }) as string[])
    .filter((file) => file.endsWith(".ts"))
    .map((file) => `src/${file.split(path.sep).join("/")}`)
    .sort()
    .map((file) => [file, fs.readFileSync(path.join(repo, file), "utf8")]),
);

/**
 * TABLE_OWNERS names the one place whose queries may touch each table. A table a module queries
 * that is missing here fails the test: a new table is given an owner when it is created.
 */
const TABLE_OWNERS: Record<string, string> = {
  users: "src/features/profile/",
  credentials: "src/features/auth/",
  platform_role_grants: "src/features/platform-roles/",
  sessions: "src/features/sessions/",
  refresh_tokens: "src/features/sessions/",
  trusted_devices: "src/features/sessions/",
  audit_trail: "src/features/audit/",
  audit_lane_heads: "src/features/audit/",
  audit_checkpoints: "src/features/audit/",
  user_activities: "src/features/activity/",
  user_metrics: "src/features/activity/",
  outbox: "src/jobs/",
  dead_letters: "src/jobs/",
  job_schedules: "src/jobs/",
  mfa_methods: "src/features/mfa/",
  mfa_backup_codes: "src/features/mfa/",
  mfa_challenges: "src/features/mfa/",
  mfa_sms_codes: "src/features/mfa/",
  mfa_code_budgets: "src/features/mfa/",
  organizations: "src/features/organizations/",
  organization_members: "src/features/organizations/",
  organization_invitations: "src/features/organizations/",
  organization_member_requests: "src/features/organizations/",
  user_preferences: "src/features/preferences/",
  onboardings: "src/features/onboarding/",
  user_status_history: "src/features/lifecycle/",
  compliance_profiles: "src/features/compliance/",
  trading_limit_requests: "src/features/compliance/",
};

const TABLE_REFERENCE = /\b(?:selectFrom|insertInto|updateTable|deleteFrom|mergeInto|(?:inner|left|right|full|cross)Join)\(\s*["'`]([a-z_]+)/g;

const COMMON_TABLE_EXPRESSION = /\.with(?:Recursive)?\(\s*["'`]([a-z_]+)/g;

/** tablesQueriedBy lists the tables a module names in Kysely query builders; names its queries give their own WITH parts are not tables. */
function tablesQueriedBy(source: string): string[] {
  const ownParts = new Set([...source.matchAll(COMMON_TABLE_EXPRESSION)].map((match) => match[1]!));
  return [...new Set([...source.matchAll(TABLE_REFERENCE)].map((match) => match[1]!))].filter((name) => !ownParts.has(name));
}

/** importsOf resolves the relative imports of a module under src/ to repository-relative module paths. */
function importsOf(file: string): string[] {
  return ts
    .preProcessFile(sources.get(file)!, true, true)
    .importedFiles.map((imported) => imported.fileName)
    .filter((specifier) => specifier.startsWith("."))
    .map((specifier) => path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\.js$/, ".ts"));
}

const featureOf = (file: string) => /^src\/features\/([^/]+)\//.exec(file)?.[1];

/**
 * stringListsIn finds, in a module, every array literal or union type made of string literals
 * only, as the list of its strings.
 */
function stringListsIn(file: string): string[][] {
  const lists: string[][] = [];
  const visit = (node: ts.Node): void => {
    const elements = ts.isArrayLiteralExpression(node) ? node.elements : ts.isUnionTypeNode(node) ? node.types : undefined;
    const strings = elements?.map((element) => {
      const literal = ts.isLiteralTypeNode(element) ? element.literal : element;
      return ts.isStringLiteral(literal) ? literal.text : undefined;
    });
    if (strings && strings.length > 1 && strings.every((text) => text !== undefined)) lists.push(strings as string[]);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file, sources.get(file)!, ts.ScriptTarget.Latest, true));
  return lists;
}

describe("feature boundaries", () => {
  it("finds the modules it reads", () => {
    expect(sources.size).toBeGreaterThan(20);
    expect(tablesQueriedBy(sources.get("src/features/profile/profile.repository.ts")!)).toContain("users");
  });

  it("lets a module query only the tables its area owns", () => {
    const trespasses = [...sources].flatMap(([file, source]) =>
      tablesQueriedBy(source)
        .filter((table) => !(TABLE_OWNERS[table] !== undefined && file.startsWith(TABLE_OWNERS[table])))
        .map((table) => `${file} queries ${table}${TABLE_OWNERS[table] ? `, which belongs to ${TABLE_OWNERS[table]}` : ", which has no owner"}`),
    );
    expect(trespasses).toEqual([]);
  });

  it("keeps a feature's queries in its repositories", () => {
    const outside = [...sources]
      .filter(([file, source]) => featureOf(file) !== undefined && !file.endsWith(".repository.ts") && tablesQueriedBy(source).length > 0)
      .map(([file]) => file);
    expect(outside).toEqual([]);
  });

  it("lets modules reach a feature only through its index.ts", () => {
    const reachingIn = [...sources.keys()].flatMap((file) =>
      importsOf(file)
        .filter((target) => {
          const feature = featureOf(target);
          return feature !== undefined && feature !== featureOf(file) && target !== `src/features/${feature}/index.ts`;
        })
        .map((target) => `${file} imports ${target}`),
    );
    expect(reachingIn).toEqual([]);
  });

  it("opens transactions only through src/db/transaction.ts, so after-commit effects always run", () => {
    const opening = [...sources].filter(([file, source]) => file !== "src/db/transaction.ts" && /\.transaction\(\)/.test(source)).map(([file]) => file);
    expect(opening).toEqual([]);
  });

  it("defines each list of domain words once", () => {
    const words: Record<string, { list: readonly string[]; home: string }> = {
      USER_STATUSES: { list: USER_STATUSES, home: "src/shared/user-status.ts" },
      VERIFICATION_STATUSES: { list: VERIFICATION_STATUSES, home: "src/shared/user-status.ts" },
      IDENTITY_PROVIDERS: { list: IDENTITY_PROVIDERS, home: "src/shared/identity-providers.ts" },
      REGISTRATION_TYPES: { list: REGISTRATION_TYPES, home: "src/shared/identity-providers.ts" },
      PLATFORM_ROLES: { list: PLATFORM_ROLES, home: "src/shared/principal.ts" },
      ORGANIZATION_ROLES: { list: ORGANIZATION_ROLES, home: "src/shared/organization-roles.ts" },
    };
    const copies = [...sources.keys()].flatMap((file) =>
      Object.entries(words).flatMap(([name, { list, home }]) =>
        file === home ? [] : stringListsIn(file).filter((strings) => strings.filter((text) => list.includes(text)).length > 1).map((strings) => `${file} lists ${name} again: ${strings.join(", ")}`),
      ),
    );
    expect(copies).toEqual([]);
  });
});
