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
  /** What the user agent says: "Chrome 120", "Windows 10", and the kind of device. */
  browser: string | null;
  os: string | null;
  device_type: DeviceTypeValue | null;
  /** Where the sign-in came from, by GeoIP: ISO country code, city name and coordinates. */
  country: string | null;
  city: string | null;
  latitude: number | null;
  longitude: number | null;
  /** The sign-in's risk score 0–100 and the factors that made it. */
  risk_score: ColumnType<number, number | undefined, number>;
  risk_factors: ColumnType<RiskFactor[], string | undefined, string>;
}

/** DeviceTypeValue is the kind of device a session runs on, as stored. */
export type DeviceTypeValue = "desktop" | "mobile" | "tablet";

/** RiskFactor is one reason a sign-in scored as it did, with the points it added. */
export interface RiskFactor {
  factor: string;
  points: number;
}

/** TrustedDevicesTable is a device a user trusts to skip the second factor until trusted_until. */
export interface TrustedDevicesTable {
  user_id: string;
  device_id: string;
  trusted_at: Date;
  trusted_until: Date;
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
