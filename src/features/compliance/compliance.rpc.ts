import type { ServiceImpl } from "@connectrpc/connect";
import { PepStatus, SanctionsCheckStatus, type ComplianceService as ComplianceApi } from "../../../gen/platform/user/v1/compliance_service_pb.js";
import { originKey, principalKey, requirePrincipal } from "../../rpc/context.js";
import { complianceProfileToPb } from "./compliance.convert.js";
import type { ComplianceProfiles } from "./compliance.service.js";
import type { ScreeningRequests } from "./screening-requests.js";

/** complianceRpc adapts the compliance feature to the ComplianceService RPCs. */
export function complianceRpc(profiles: ComplianceProfiles, screenings: ScreeningRequests): Partial<ServiceImpl<typeof ComplianceApi>> {
  return {
    async getComplianceProfile(req) {
      return complianceProfileToPb(await profiles.get(req.userId));
    },
    async screenUser(req, ctx) {
      const { screeningId } = await screenings.request(requirePrincipal(ctx.values.get(principalKey)), req.userId, ctx.values.get(originKey));
      return { screeningId, sanctionsCheckStatus: SanctionsCheckStatus.PENDING, pepStatus: PepStatus.PENDING };
    },
  };
}
