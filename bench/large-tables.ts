// Tables of a service that has run for a while: a million audit entries and a million activity
// records, written straight into the bench's database (outside any measurement) before the lists
// are measured on them. The audit entries sit in lanes of their own, so the service's own lanes are
// untouched; their hashes are placeholders, which no list reads.
import pg from "pg";

/** LARGE_TABLE_ROWS is how many rows each table is filled with. */
export const LARGE_TABLE_ROWS = 1_000_000;

/** seedLargeTables fills audit_trail and user_activities; one in a hundred activity records is the reader's own. */
export async function seedLargeTables(databaseUrl: string, readerUserId: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `insert into audit_trail (id, lane, lane_seq, actor_user_id, action, resource_type, resource_id, organization_id,
         new_values, compliance_relevant, created_at, prev_hash, hash)
       select gen_random_uuid(), 'bench:' || (g % 64), g, md5('actor' || (g % 10000))::uuid,
         case when g % 3 = 0 then 'auth.login' else 'profile.update' end,
         case when g % 3 = 0 then 'session' else 'user' end,
         md5('resource' || (g % 50000))::uuid::text,
         case when g % 10 = 0 then md5('org' || (g % 100))::uuid end,
         '{"fullName":"Bench Name"}'::jsonb, g % 7 = 0, now() - make_interval(secs => g * 1.5),
         decode(md5(g::text) || md5(g::text), 'hex'), decode(md5(g::text || 'h') || md5(g::text || 'h'), 'hex')
       from generate_series(1, $1::int) as g`,
      [LARGE_TABLE_ROWS],
    );
    await client.query(
      `insert into user_activities (id, user_id, session_id, activity_type, method, status_code, latency_ms, ip_address, user_agent, created_at)
       select gen_random_uuid(), case when g % 100 = 0 then $2::uuid else md5('user' || (g % 10000))::uuid end, null,
         (array['api_call', 'feature_use', 'login', 'security_event'])[1 + g % 4],
         'ProfileService/GetProfile', 'OK', 1.5, '203.0.113.7', 'bench', now() - make_interval(secs => g * 1.5)
       from generate_series(1, $1::int) as g`,
      [LARGE_TABLE_ROWS, readerUserId],
    );
    await client.query("analyze audit_trail; analyze user_activities");
  } finally {
    await client.end();
  }
}
