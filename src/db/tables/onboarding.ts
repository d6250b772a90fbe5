import type { ColumnType } from "kysely";
import type { OnboardingEvent } from "../../shared/onboarding-events.js";

/** StoredStep is what a user answered for one onboarding step that takes data. */
export interface StoredStep {
  data: Record<string, unknown>;
  /** ISO 8601. */
  completedAt: string;
}

/**
 * OnboardingsTable is a user's onboarding: started at registration, with its deadline fixed then.
 * Answers are kept by step id, events by name with when they first happened: automatic steps read
 * the events, so renaming or adding a step in configuration keeps what already happened.
 */
export interface OnboardingsTable {
  user_id: string;
  started_at: Date;
  expires_at: Date;
  /** When the last required step was completed; null until then. */
  completed_at: Date | null;
  steps: ColumnType<Record<string, StoredStep>, string | undefined, string>;
  /** Event name → ISO 8601 time it first happened. */
  events: ColumnType<Partial<Record<OnboardingEvent, string>>, string | undefined, string>;
}
