import type { ServiceImpl } from "@connectrpc/connect";
import { BatchVerificationOutcome, PepStatus, SanctionsCheckStatus, type ComplianceService as ComplianceApi } from "../../../gen/platform/user/v1/compliance_service_pb.js";
import { originKey, principalKey, requirePrincipal } from "../../rpc/context.js";
import { complianceProfileToPb, kycLevelFromPb, kycStatusFromPb, tradingLimitsFromPb } from "./compliance.convert.js";
import type { BatchOutcome, BatchVerification } from "./batch-verification.js";
import type { ComplianceProfiles } from "./compliance.service.js";
import type { KycDecisions } from "./kyc-decisions.js";
import type { ScreeningRequests } from "./screening-requests.js";
import type { TradingLimitChanges } from "./trading-limit-changes.js";

/** ComplianceFeature are the compliance feature's services the RPCs call. */
export interface ComplianceFeature {
  profiles: ComplianceProfiles;
  kyc: KycDecisions;
  limits: TradingLimitChanges;
  screenings: ScreeningRequests;
  batches: BatchVerification;
}

const batchOutcomes: Record<BatchOutcome, BatchVerificationOutcome> = {
  verified: BatchVerificationOutcome.VERIFIED,
  requires_additional_verification: BatchVerificationOutcome.REQUIRES_ADDITIONAL_VERIFICATION,
  timed_out: BatchVerificationOutcome.TIMED_OUT,
  not_found: BatchVerificationOutcome.NOT_FOUND,
};

/** complianceRpc adapts the compliance feature to the ComplianceService RPCs. */
export function complianceRpc({ profiles, kyc, limits, screenings, batches }: ComplianceFeature): Partial<ServiceImpl<typeof ComplianceApi>> {
  return {
    async getComplianceProfile(req, ctx) {
      return complianceProfileToPb(await profiles.get(requirePrincipal(ctx.values.get(principalKey)), req.userId, req.organizationId || undefined));
    },
    async updateKycStatus(req, ctx) {
      const decision = { userId: req.userId, kycStatus: kycStatusFromPb(req.kycStatus), kycLevel: kycLevelFromPb(req.kycLevel), reason: req.reason, organizationId: req.organizationId || undefined };
      return complianceProfileToPb(await kyc.decide(requirePrincipal(ctx.values.get(principalKey)), decision, ctx.values.get(originKey)));
    },
    async setTradingLimits(req, ctx) {
      const act = { reason: req.reason, organizationId: req.organizationId || undefined };
      return complianceProfileToPb(await limits.set(requirePrincipal(ctx.values.get(principalKey)), req.userId, tradingLimitsFromPb(req.tradingLimits!), act, ctx.values.get(originKey)));
    },
    async approveTradingLimits(req, ctx) {
      const act = { reason: req.reason, organizationId: req.organizationId || undefined };
      return { profile: complianceProfileToPb(await limits.approve(requirePrincipal(ctx.values.get(principalKey)), req.requestId, act, ctx.values.get(originKey))) };
    },
    async rejectTradingLimits(req, ctx) {
      const act = { reason: req.reason, organizationId: req.organizationId || undefined };
      return { profile: complianceProfileToPb(await limits.reject(requirePrincipal(ctx.values.get(principalKey)), req.requestId, act, ctx.values.get(originKey))) };
    },
    async verifyUsers(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      const results = await batches.verify(req.userIds, { userId: caller.userId, origin: ctx.values.get(originKey) });
      return { results: results.map(({ userId, outcome }) => ({ userId, outcome: batchOutcomes[outcome] })) };
    },
    async screenUser(req, ctx) {
      const { screeningId } = await screenings.request(requirePrincipal(ctx.values.get(principalKey)), req.userId, ctx.values.get(originKey));
      return { screeningId, sanctionsCheckStatus: SanctionsCheckStatus.PENDING, pepStatus: PepStatus.PENDING };
    },
  };
}
