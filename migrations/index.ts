import type { Migration } from "kysely";
import * as foundation from "./0001_foundation.js";
import * as mfa from "./0002_mfa.js";
import * as sessionsDevices from "./0003_sessions_devices.js";
import * as organizations from "./0004_organizations.js";
import * as invitations from "./0005_invitations.js";
import * as preferences from "./0006_preferences.js";
import * as statusHistory from "./0007_status_history.js";
import * as onboarding from "./0008_onboarding.js";
import * as jobs from "./0009_jobs.js";
import * as compliance from "./0010_compliance.js";
import * as screeningRequests from "./0011_screening_requests.js";
import * as tradingLimits from "./0012_trading_limits.js";
import * as reviews from "./0013_reviews.js";
import * as riskScoring from "./0014_risk_scoring.js";
import * as auditLanes from "./0015_audit_lanes.js";
import * as activity from "./0016_activity.js";
import * as auditContext from "./0017_audit_context.js";
import * as auditPartitions from "./0018_audit_partitions.js";
import * as outboxTraceContext from "./0019_outbox_trace_context.js";
import * as mfaCodeBudgets from "./0020_mfa_code_budgets.js";

/** migrations lists every migration in order. Landed migrations are never edited; fixes are new ones. */
export const migrations: Record<string, Migration> = {
  "0001_foundation": foundation,
  "0002_mfa": mfa,
  "0003_sessions_devices": sessionsDevices,
  "0004_organizations": organizations,
  "0005_invitations": invitations,
  "0006_preferences": preferences,
  "0007_status_history": statusHistory,
  "0008_onboarding": onboarding,
  "0009_jobs": jobs,
  "0010_compliance": compliance,
  "0011_screening_requests": screeningRequests,
  "0012_trading_limits": tradingLimits,
  "0013_reviews": reviews,
  "0014_risk_scoring": riskScoring,
  "0015_audit_lanes": auditLanes,
  "0016_activity": activity,
  "0017_audit_context": auditContext,
  "0018_audit_partitions": auditPartitions,
  "0019_outbox_trace_context": outboxTraceContext,
  "0020_mfa_code_budgets": mfaCodeBudgets,
};
