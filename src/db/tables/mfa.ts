import type { ColumnType, Generated } from "kysely";
import type { RiskFactor } from "./sessions.js";

/** MfaKindValue is a kind of second factor a user enrols, as stored. */
export type MfaKindValue = "totp" | "sms";

/** MfaMethodsTable is a user's enrolled second factor: pending until a first code proves it, then active. */
export interface MfaMethodsTable {
  id: Generated<string>;
  user_id: string;
  kind: MfaKindValue;
  status: "pending" | "active";
  /** The TOTP secret, sealed by FieldCipher. */
  secret_sealed: string | null;
  /** The phone number in E.164, sealed by FieldCipher. */
  phone_sealed: string | null;
  /** The last TOTP time step accepted (bigint, read as a string). */
  last_accepted_step: ColumnType<string | null, string | number | null, string | number | null>;
  created_at: ColumnType<Date, Date | undefined, never>;
  activated_at: Date | null;
  last_used_at: Date | null;
}

/** MfaBackupCodesTable holds a user's backup codes as SHA-256 hashes; used_at marks one spent. */
export interface MfaBackupCodesTable {
  id: Generated<string>;
  user_id: string;
  code_hash: Buffer;
  created_at: ColumnType<Date, Date | undefined, never>;
  used_at: Date | null;
}

/** MfaChallengesTable holds a sign-in between its first and second factor, bound to the client that started it. */
export interface MfaChallengesTable {
  id: Generated<string>;
  user_id: string;
  first_factor: string[];
  client_binding: Buffer;
  device_id: string | null;
  device_name: string | null;
  user_agent: string | null;
  app_version: string | null;
  ip_address: string | null;
  methods: string[];
  failed_attempts: Generated<number>;
  risk_score: ColumnType<number, number | undefined, number>;
  risk_factors: ColumnType<RiskFactor[], string | undefined, string>;
  created_at: ColumnType<Date, Date | undefined, never>;
  expires_at: Date;
  completed_at: Date | null;
}

/** MfaSmsCodesTable holds a code sent by SMS as a keyed hash: for enrolment (no challenge) or one sign-in challenge. */
export interface MfaSmsCodesTable {
  id: Generated<string>;
  method_id: string;
  challenge_id: string | null;
  code_hash: Buffer;
  created_at: ColumnType<Date, Date | undefined, never>;
  expires_at: Date;
  used_at: Date | null;
}

/** MfaCodeBudgetsTable counts a user's wrong second-factor codes in the current window; its row lock orders the user's code checks. */
export interface MfaCodeBudgetsTable {
  user_id: string;
  failures: ColumnType<number, number | undefined, number>;
  window_started_at: ColumnType<Date, Date | undefined, Date>;
}
