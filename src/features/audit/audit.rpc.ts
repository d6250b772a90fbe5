import type { ServiceImpl } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { AuditService as AuditApi } from "../../../gen/platform/user/v1/audit_service_pb.js";
import { originKey, principalKey, requirePrincipal } from "../../rpc/context.js";
import type { AuditExports } from "./audit-export.js";
import { auditEntryToPb, chainReportToPb } from "./audit.convert.js";
import type { AuditTrail } from "./audit.service.js";

/** DEFAULT_PAGE_SIZE is the page size of ListAuditTrail when the request leaves limit at 0. */
const DEFAULT_PAGE_SIZE = 50;

/** auditRpc adapts AuditTrail and AuditExports to the AuditService RPCs. */
export function auditRpc(trail: AuditTrail, exports: AuditExports): Partial<ServiceImpl<typeof AuditApi>> {
  return {
    async listAuditTrail(req) {
      // The authorize interceptor let an organization's member through only for organization_id,
      // so filtering by it is what keeps them to their organization's entries.
      const page = await trail.list(
        {
          resourceType: req.resourceType || undefined,
          resourceId: req.resourceId || undefined,
          actorUserId: req.actorUserId || undefined,
          organizationId: req.organizationId || undefined,
          createdAfter: req.createdAfter && timestampDate(req.createdAfter),
          createdBefore: req.createdBefore && timestampDate(req.createdBefore),
        },
        req.limit || DEFAULT_PAGE_SIZE,
        req.pageToken,
      );
      return { entries: page.entries.map(auditEntryToPb), nextPageToken: page.nextPageToken };
    },
    async verifyAuditChain() {
      return chainReportToPb(await trail.verify());
    },
    async *exportAuditTrail(req, ctx) {
      const caller = { userId: requirePrincipal(ctx.values.get(principalKey)).userId, origin: ctx.values.get(originKey) };
      // Validation requires both times.
      const range = { createdAfter: timestampDate(req.createdAfter!), createdBefore: timestampDate(req.createdBefore!) };
      for await (const lines of exports.export(caller, { ...range, organizationId: req.organizationId || undefined, reason: req.reason })) yield { lines };
    },
  };
}
