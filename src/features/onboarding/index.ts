export { DEFAULT_ONBOARDING_STEPS, loadOnboardingSteps, OnboardingSteps, type StepDefinition } from "./onboarding-steps.js";
export { Onboarding } from "./onboarding.service.js";
export { onboardingRpc } from "./onboarding.rpc.js";
