import { ConnectError } from "@connectrpc/connect";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

/** FieldViolation is one broken rule as the client sees it: the field's dotted path and the rule's id. */
export interface FieldViolation {
  field: string;
  ruleId: string;
}

/**
 * refusal awaits a call that must fail and returns its code and the rule violations attached to the
 * error (the buf.validate.Violations detail protovalidate's interceptor sends with INVALID_ARGUMENT).
 */
export async function refusal(call: Promise<unknown>): Promise<{ code: number; violations: FieldViolation[] }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConnectError)) throw new Error(`expected a ConnectError, got ${String(error)}`);
  const violations = error.findDetails(ViolationsSchema).flatMap((detail) =>
    detail.violations.map((v) => ({ field: (v.field?.elements ?? []).map((e) => e.fieldName).join("."), ruleId: v.ruleId })),
  );
  return { code: error.code, violations };
}
