import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AuditChainProblem } from "../../../gen/platform/user/v1/audit_service_pb.js";
import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import type { AuditEntrySchema, VerifyAuditChainResponseSchema } from "../../../gen/platform/user/v1/audit_service_pb.js";
import type { ChainProblem, ChainReport } from "./audit-chain.js";
import type { AuditRow } from "./audit.repository.js";

const problems: Record<ChainProblem, AuditChainProblem> = {
  content_changed: AuditChainProblem.CONTENT_CHANGED,
  link_broken: AuditChainProblem.LINK_BROKEN,
  entries_missing: AuditChainProblem.ENTRIES_MISSING,
  truncated: AuditChainProblem.TRUNCATED,
  checkpoint_invalid: AuditChainProblem.CHECKPOINT_INVALID,
};

/** auditEntryToPb is the API form of a stored audit entry. */
export function auditEntryToPb(row: AuditRow): MessageInitShape<typeof AuditEntrySchema> {
  return {
    id: row.id,
    actorUserId: row.actor_user_id ?? "",
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    // jsonb holds JSON only.
    ...(row.old_values && { oldValues: row.old_values as JsonObject }),
    ...(row.new_values && { newValues: row.new_values as JsonObject }),
    reason: row.reason ?? "",
    ipAddress: row.ip_address ?? "",
    organizationId: row.organization_id ?? "",
    complianceRelevant: row.compliance_relevant,
    createdAt: timestampFromDate(row.created_at),
    userAgent: row.user_agent ?? "",
    requestId: row.request_id ?? "",
    onBehalfOfUserId: row.on_behalf_of_user_id ?? "",
  };
}

/** chainReportToPb is the API form of a chain check's outcome. */
export function chainReportToPb(report: ChainReport): MessageInitShape<typeof VerifyAuditChainResponseSchema> {
  return {
    valid: report.valid,
    checked: BigInt(report.checked),
    lanes: report.lanes,
    checkpoints: report.checkpoints,
    ...(report.break && {
      problem: problems[report.break.problem],
      brokenLane: report.break.lane,
      firstBrokenId: report.break.entryId ?? "",
    }),
  };
}
