import { getOption, hasOption, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { rule, type AccessRule } from "../../gen/platform/user/v1/options_pb.js";

/** INFRASTRUCTURE_SERVICES come from third-party protos that cannot carry our option; they are public. */
export const INFRASTRUCTURE_SERVICES: ReadonlySet<DescService> = new Set([Health, ReflectionV1, ReflectionV1alpha]);

/**
 * accessRuleOf returns the access rule declared on an RPC in proto, or undefined when it declares
 * none or an empty one: such an RPC is refused to everyone (default deny).
 */
export function accessRuleOf(method: DescMethod): AccessRule | undefined {
  // Options are decoded from the descriptor on every getOption call; a method's rule never changes.
  if (!decoded.has(method)) {
    const declared = hasOption(method, rule) ? getOption(method, rule) : undefined;
    decoded.set(method, declared?.access.case === undefined ? undefined : declared);
  }
  return decoded.get(method);
}

const decoded = new WeakMap<DescMethod, AccessRule | undefined>();

/** isPublic says whether an RPC may be called without credentials. */
export function isPublic(method: DescMethod): boolean {
  if (INFRASTRUCTURE_SERVICES.has(method.parent)) return true;
  const declared = accessRuleOf(method);
  return declared?.access.case === "public" && declared.access.value;
}

/**
 * organizationIdOf reads the organization id a request names in the field its rule's
 * organization_field points at; undefined when the rule names no field or the request leaves it empty.
 */
export function organizationIdOf(method: DescMethod, message: unknown): string | undefined {
  const fieldName = accessRuleOf(method)?.organizationField;
  if (!fieldName) return undefined;
  const field = method.input.fields.find((candidate) => candidate.name === fieldName);
  const value = field && (message as Record<string, unknown>)[field.localName];
  return typeof value === "string" && value !== "" ? value : undefined;
}
