/** ONBOARDING_EVENTS are what happens elsewhere that an automatic onboarding step may wait for. */
export const ONBOARDING_EVENTS = ["email_verified", "mfa_enabled"] as const;

/** OnboardingEvent is one of ONBOARDING_EVENTS. */
export type OnboardingEvent = (typeof ONBOARDING_EVENTS)[number];
