import type { Generated } from "kysely";
import type { UserStatusValue } from "../../shared/user-status.js";

/** UserStatusHistoryTable records every change of an account's lifecycle status. */
export interface UserStatusHistoryTable {
  id: Generated<string>;
  user_id: string;
  /** Null for the first entry. */
  previous_status: UserStatusValue | null;
  new_status: UserStatusValue;
  reason: string;
  /** The operator; null when the system made the change. */
  changed_by: string | null;
  locked_until: Date | null;
  created_at: Date;
}
