import { readFile } from "node:fs/promises";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { ONBOARDING_EVENTS, type OnboardingEvent } from "../../shared/onboarding-events.js";
import * as errors from "./onboarding.errors.js";

/**
 * StepDefinition is one step as configured: either automatic, completed by an event, or one the
 * user completes with data matching a JSON Schema (draft 2020-12) whose root is an object.
 */
export type StepDefinition = { id: string; title: string; required: boolean } & (
  | { completesOn: OnboardingEvent; schema?: never }
  | { schema: Record<string, unknown>; completesOn?: never }
);

/** DEFAULT_ONBOARDING_STEPS are the steps when ONBOARDING_STEPS_FILE is not set. */
export const DEFAULT_ONBOARDING_STEPS: StepDefinition[] = [
  { id: "verify_email", title: "Verify your e-mail address", required: true, completesOn: "email_verified" },
  { id: "mfa_setup", title: "Set up two-factor authentication", required: true, completesOn: "mfa_enabled" },
  {
    id: "risk_questionnaire",
    title: "Tell us about your trading experience",
    required: true,
    schema: {
      type: "object",
      required: ["investment_experience", "annual_income", "trading_objectives", "risk_tolerance"],
      additionalProperties: false,
      properties: {
        investment_experience: { enum: ["none", "under_1_year", "1_to_5_years", "over_5_years"] },
        annual_income: { enum: ["under_50k", "50k_to_250k", "250k_to_1m", "over_1m"] },
        trading_objectives: {
          type: "array",
          minItems: 1,
          uniqueItems: true,
          items: { enum: ["capital_preservation", "income", "growth", "speculation", "hedging"] },
        },
        risk_tolerance: { enum: ["low", "medium", "high"] },
      },
    },
  },
  {
    id: "accept_terms",
    title: "Accept the terms of service and the risk disclosure",
    required: true,
    schema: {
      type: "object",
      required: ["terms_version", "accepted"],
      additionalProperties: false,
      properties: {
        terms_version: { type: "string", minLength: 1, maxLength: 32 },
        accepted: { const: true },
      },
    },
  },
];

/** Step ids as the API's step_id accepts them. */
const STEP_ID = /^[a-z][a-z0-9_]{0,63}$/;

/** OnboardingStepsError says what is wrong with a step list. */
export class OnboardingStepsError extends Error {}

/** where names the place an Ajv error points at, from the step's data down ("data.trading_objectives[0]"). */
function where(error: ErrorObject): string {
  const segments = error.instancePath.split("/").slice(1).map((segment) => segment.replaceAll("~1", "/").replaceAll("~0", "~"));
  const missing = error.keyword === "required" ? (error.params as { missingProperty: string }).missingProperty : undefined;
  const extra = error.keyword === "additionalProperties" ? (error.params as { additionalProperty: string }).additionalProperty : undefined;
  const key = missing ?? extra;
  if (key !== undefined) segments.push(key);
  return segments.reduce((path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : `${path}.${segment}`), "data");
}

/** problem is an Ajv error said for the caller. */
function problem(error: ErrorObject): string {
  if (error.keyword === "required") return "is required";
  if (error.keyword === "additionalProperties") return "is not a field of this step";
  if (error.keyword === "enum") return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((value) => JSON.stringify(value)).join(", ")}`;
  return error.message ?? "does not fit the step";
}

/** OnboardingStep is a configured step, with its data check compiled. */
export interface OnboardingStep {
  definition: StepDefinition;
  /** check refuses data the step's schema does not accept (INVALID_ARGUMENT naming the key); automatic steps have none. */
  check?: (data: Record<string, unknown>) => void;
}

/**
 * OnboardingSteps is the configured checklist, in order. It is built once at start, so a step
 * list that is wrong stops the service there instead of failing users later.
 */
export class OnboardingSteps {
  readonly steps: readonly OnboardingStep[];
  private readonly byId: ReadonlyMap<string, OnboardingStep>;

  constructor(definitions: StepDefinition[]) {
    if (definitions.length === 0) throw new OnboardingStepsError("lists no step");
    // Strict: a schema with a typo in a keyword is refused instead of quietly accepting anything.
    const ajv = new Ajv2020({ allErrors: false, strict: true });
    // Formats (date, email, uri, ...) are checked, not just named: a questionnaire may ask for a date.
    addFormats.default(ajv);
    this.steps = definitions.map((definition, index) => ({ definition, check: compileCheck(ajv, definition, index) }));
    this.byId = new Map(this.steps.map((step) => [step.definition.id, step]));
    if (this.byId.size !== definitions.length) throw new OnboardingStepsError("has two steps with one id");
  }

  /** find is the step with the id; NOT_FOUND when the checklist has none. */
  find(stepId: string): OnboardingStep {
    const step = this.byId.get(stepId);
    if (!step) throw errors.unknownStep(stepId);
    return step;
  }

  /** completedOn is the automatic step the event completes, if the checklist has one. */
  completedOn(event: OnboardingEvent): OnboardingStep | undefined {
    return this.steps.find((step) => step.definition.completesOn === event);
  }
}

function compileCheck(ajv: Ajv2020, definition: StepDefinition, index: number): OnboardingStep["check"] {
  const at = `step ${index + 1}`;
  if (typeof definition !== "object" || definition === null) throw new OnboardingStepsError(`${at} is not an object`);
  const { id, title, required, completesOn, schema } = definition;
  if (typeof id !== "string" || !STEP_ID.test(id)) throw new OnboardingStepsError(`${at}: id must match ${STEP_ID.source}`);
  if (typeof title !== "string" || title.trim() === "") throw new OnboardingStepsError(`step "${id}": title must be a non-empty string`);
  if (typeof required !== "boolean") throw new OnboardingStepsError(`step "${id}": required must be true or false`);
  if ((completesOn === undefined) === (schema === undefined)) throw new OnboardingStepsError(`step "${id}": give either completesOn or schema`);
  if (completesOn !== undefined) {
    if (!ONBOARDING_EVENTS.includes(completesOn)) throw new OnboardingStepsError(`step "${id}": completesOn must be one of ${ONBOARDING_EVENTS.join(", ")}`);
    return undefined;
  }
  if (typeof schema !== "object" || schema === null || schema.type !== "object") throw new OnboardingStepsError(`step "${id}": schema must be a JSON Schema whose type is "object"`);
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    throw new OnboardingStepsError(`step "${id}": schema: ${(error as Error).message}`);
  }
  return (data) => {
    if (!validate(data)) {
      const [first] = validate.errors ?? [];
      throw first ? errors.dataInvalid(where(first), problem(first)) : errors.dataInvalid("data", "does not fit the step");
    }
  };
}

/** loadOnboardingSteps reads a step list from a JSON file: `{"steps": [StepDefinition, ...]}`. */
export async function loadOnboardingSteps(file: string): Promise<OnboardingSteps> {
  const parsed: unknown = JSON.parse(await readFile(file, "utf8"));
  const steps = (parsed as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) throw new OnboardingStepsError('must be a JSON object with a "steps" array');
  return new OnboardingSteps(steps as StepDefinition[]);
}
