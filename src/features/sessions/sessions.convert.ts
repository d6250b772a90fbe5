import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { DeviceType, type SessionSchema } from "../../../gen/platform/user/v1/session_service_pb.js";
import type { DeviceTypeValue } from "../../db/tables/sessions.js";
import type { SessionView } from "./sessions.service.js";

const deviceTypes: Record<DeviceTypeValue, DeviceType> = {
  desktop: DeviceType.DESKTOP,
  mobile: DeviceType.MOBILE,
  tablet: DeviceType.TABLET,
};

/** sessionToPb shapes a session for the caller whose own session is currentSessionId. */
export function sessionToPb(session: SessionView, currentSessionId: string): MessageInitShape<typeof SessionSchema> {
  return {
    sessionId: session.id,
    browser: session.browser ?? "",
    os: session.os ?? "",
    deviceType: session.device_type ? deviceTypes[session.device_type] : DeviceType.UNSPECIFIED,
    deviceName: session.device_name ?? "",
    ipAddress: session.ip_address ?? "",
    country: session.country ?? "",
    city: session.city ?? "",
    riskScore: session.risk_score,
    riskFactors: session.risk_factors.map((factor) => factor.factor),
    trusted: session.trusted,
    current: session.id === currentSessionId,
    createdAt: timestampFromDate(session.created_at),
    lastSeenAt: timestampFromDate(session.last_seen_at),
    expiresAt: timestampFromDate(session.expires_at),
    idleExpiresAt: timestampFromDate(session.idleExpiresAt),
  };
}
