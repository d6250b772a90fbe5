import { Code, ConnectError } from "@connectrpc/connect";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

/** Failure is an error as the console shows it: the status code, the message and what the server added. */
export interface Failure {
  code: Code;
  /** codeName is the status code as the API reference spells it, such as PERMISSION_DENIED. */
  codeName: string;
  message: string;
  /** reason is the stable x-error-reason the server sent, when it sent one. */
  reason: string | undefined;
  /** violations are the broken validation rules, one line per field. */
  violations: string[];
}

/** describeFailure turns whatever a call threw into a Failure (a network error becomes UNAVAILABLE or UNKNOWN). */
export function describeFailure(error: unknown): Failure {
  const connectError = ConnectError.from(error);
  const violations = connectError.findDetails(ViolationsSchema).flatMap((detail) =>
    detail.violations.map((violation) => {
      const path = (violation.field?.elements ?? []).map((element) => element.fieldName).join(".");
      return path ? `${path}: ${violation.message}` : violation.message;
    }),
  );
  return {
    code: connectError.code,
    codeName: Code[connectError.code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase(),
    message: connectError.rawMessage,
    reason: connectError.metadata.get("x-error-reason") ?? undefined,
    violations,
  };
}

/** isPermissionDenied says whether the access rule refused the call. */
export function isPermissionDenied(error: unknown): boolean {
  return ConnectError.from(error).code === Code.PermissionDenied;
}
