import type { ColumnType, Generated } from "kysely";

/** SessionsTable is a signed-in client: open until it expires or revoked_at is set, never deleted. */
export interface SessionsTable {
  id: Generated<string>;
  user_id: string;
  amr: string[];
  ip_address: string | null;
  user_agent: string | null;
  device_id: string | null;
  device_name: string | null;
  app_version: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  last_seen_at: ColumnType<Date, Date | undefined, Date>;
  expires_at: Date;
  revoked_at: Date | null;
  revoke_reason: string | null;
  /** When the session last passed a second factor. */
  second_factor_at: Date | null;
}

/** RefreshTokensTable holds a session's refresh tokens by SHA-256 hash; used_at marks one spent by rotation. */
export interface RefreshTokensTable {
  id: Generated<string>;
  session_id: string;
  token_hash: Buffer;
  created_at: ColumnType<Date, Date | undefined, never>;
  expires_at: Date;
  used_at: Date | null;
}
