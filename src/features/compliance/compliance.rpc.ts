import type { ServiceImpl } from "@connectrpc/connect";
import type { ComplianceService as ComplianceApi } from "../../../gen/platform/user/v1/compliance_service_pb.js";
import { complianceProfileToPb } from "./compliance.convert.js";
import type { ComplianceProfiles } from "./compliance.service.js";

/** complianceRpc adapts the compliance feature to the ComplianceService RPCs. */
export function complianceRpc(profiles: ComplianceProfiles): Partial<ServiceImpl<typeof ComplianceApi>> {
  return {
    async getComplianceProfile(req) {
      return complianceProfileToPb(await profiles.get(req.userId));
    },
  };
}
