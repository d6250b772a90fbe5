import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ActivityType } from "../../../gen/platform/user/v1/common_pb.js";
import type { ActivitySchema, DailyUserMetricsSchema } from "../../../gen/platform/user/v1/activity_service_pb.js";
import { twoWayMap } from "../../shared/two-way-map.js";
import type { ActivityRow } from "./activity.repository.js";
import type { DayFigures } from "./daily-figures.js";

/** ActivityTypeValue is an activity type as stored. */
export type ActivityTypeValue = "login" | "logout" | "api_call" | "feature_use" | "security_event" | "error";

const activityTypes = twoWayMap<ActivityType, ActivityTypeValue>([
  [ActivityType.LOGIN, "login"],
  [ActivityType.LOGOUT, "logout"],
  [ActivityType.API_CALL, "api_call"],
  [ActivityType.FEATURE_USE, "feature_use"],
  [ActivityType.SECURITY_EVENT, "security_event"],
  [ActivityType.ERROR, "error"],
]);

/** activityTypeToStored is how an activity type is stored; a call of no known type is an API call. */
export function activityTypeToStored(type: ActivityType): ActivityTypeValue {
  return activityTypes.forward[type] ?? "api_call";
}

/** activityTypeFromPb is the stored activity type a filter names; undefined for every type. */
export function activityTypeFromPb(type: ActivityType): ActivityTypeValue | undefined {
  return activityTypes.forward[type];
}

/** activityTypeToPb is the API form of a stored activity type. */
export function activityTypeToPb(type: string): ActivityType {
  return activityTypes.backward[type as ActivityTypeValue] ?? ActivityType.UNSPECIFIED;
}

/** activityToPb is the API form of a call record. */
export function activityToPb(row: ActivityRow): MessageInitShape<typeof ActivitySchema> {
  return {
    id: row.id,
    userId: row.user_id ?? "",
    activityType: activityTypeToPb(row.activity_type),
    method: row.method,
    statusCode: row.status_code,
    latencyMs: row.latency_ms,
    ipAddress: row.ip_address ?? "",
    userAgent: row.user_agent ?? "",
    sessionId: row.session_id ?? "",
    organizationId: row.organization_id ?? "",
    requestId: row.request_id ?? "",
    createdAt: timestampFromDate(row.created_at),
  };
}

/** dayToPb is the API form of a day of a user's figures. */
export function dayToPb(day: DayFigures): MessageInitShape<typeof DailyUserMetricsSchema> {
  return {
    day: day.day,
    loginCount: day.loginCount,
    failedLoginCount: day.failedLoginCount,
    sessionCount: day.sessionCount,
    sessionSeconds: BigInt(day.sessionSeconds),
    rpcCount: day.rpcCount,
    rpcCountsByFeature: day.rpcCountsByFeature,
    errorCount: day.errorCount,
    latencyP50Ms: day.latencyP50Ms,
    latencyP95Ms: day.latencyP95Ms,
    securityEventCount: day.securityEventCount,
  };
}
