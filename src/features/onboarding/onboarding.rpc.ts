import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { OnboardingStepStatus, type OnboardingSchema, type UserLifecycleService as UserLifecycleApi } from "../../../gen/platform/user/v1/user_lifecycle_service_pb.js";
import { originKey, principalKey, requirePrincipal } from "../../rpc/context.js";
import type { Onboarding, OnboardingProgress } from "./onboarding.service.js";

function onboardingToPb(progress: OnboardingProgress): MessageInitShape<typeof OnboardingSchema> {
  return {
    steps: progress.steps.map(({ definition, data, completedAt }) => ({
      stepId: definition.id,
      title: definition.title,
      required: definition.required,
      status: completedAt ? OnboardingStepStatus.COMPLETED : OnboardingStepStatus.PENDING,
      automatic: definition.completesOn !== undefined,
      ...(data && { data: data as JsonObject }),
      ...(completedAt && { completedAt: timestampFromDate(completedAt) }),
      ...(definition.schema && { dataSchema: definition.schema as JsonObject }),
    })),
    completed: progress.completedAt !== undefined,
    ...(progress.completedAt && { completedAt: timestampFromDate(progress.completedAt) }),
    expiresAt: timestampFromDate(progress.expiresAt),
    expired: progress.expired,
  };
}

/** onboardingRpc adapts Onboarding to the onboarding RPCs of UserLifecycleService. */
export function onboardingRpc(onboarding: Onboarding): Partial<ServiceImpl<typeof UserLifecycleApi>> {
  return {
    async getOnboarding(_req, ctx) {
      return { onboarding: onboardingToPb(await onboarding.get(requirePrincipal(ctx.values.get(principalKey)).userId)) };
    },
    async completeOnboardingStep(req, ctx) {
      const caller = requirePrincipal(ctx.values.get(principalKey));
      const progress = await onboarding.completeStep(caller.userId, req.stepId, req.data ?? {}, ctx.values.get(originKey));
      return { onboarding: onboardingToPb(progress) };
    },
  };
}
