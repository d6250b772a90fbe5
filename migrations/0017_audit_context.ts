import type { Kysely } from "kysely";

// The audit trail's context: the request id of the call that made the change (as logged and
// returned in x-request-id), and the user the system acted for, when it acted on someone's behalf
// (a verification an officer asked for). Rows written before have neither, and their hashes do not
// cover them.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("audit_trail").addColumn("request_id", "text").addColumn("on_behalf_of_user_id", "uuid").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("audit_trail").dropColumn("request_id").dropColumn("on_behalf_of_user_id").execute();
}
