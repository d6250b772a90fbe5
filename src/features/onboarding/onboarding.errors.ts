import { DomainError } from "../../shared/domain-error.js";

/** unknownStep answers a step id the configured onboarding does not have. */
export const unknownStep = (stepId: string) => new DomainError("not_found", "onboarding_step_not_found", `step_id: "${stepId}" is no step of the onboarding`);

/** automaticStep refuses completing a step that completes by itself. */
export const automaticStep = (stepId: string) =>
  new DomainError("failed_precondition", "onboarding_step_automatic", `step_id: "${stepId}" completes by itself when what it asks for is done`);

/** onboardingExpired refuses changes to an onboarding whose deadline passed unfinished. */
export const onboardingExpired = () => new DomainError("failed_precondition", "onboarding_expired", "the onboarding expired before it was completed");

/** dataTooLarge refuses step data beyond the size the API allows. */
export const dataTooLarge = (maxBytes: number) => new DomainError("invalid_argument", "onboarding_data_too_large", `data: larger than ${maxBytes / 1024} KiB as JSON`);

/** dataInvalid refuses step data that does not match the step's schema, naming where. */
export const dataInvalid = (where: string, problem: string) => new DomainError("invalid_argument", "onboarding_data_invalid", `${where}: ${problem}`);

/** noOnboarding answers for a user without an onboarding: one whose account is gone. */
export const noOnboarding = () => new DomainError("not_found", "onboarding_not_found", "the account has no onboarding");
