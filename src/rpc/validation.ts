import { createRegistry } from "@bufbuild/protobuf";
import { createValidator, type Validator } from "@bufbuild/protovalidate";
import { file_platform_user_v1_validation } from "../../gen/platform/user/v1/validation_pb.js";

/**
 * createRequestValidator builds the validator requests are checked with: protovalidate's standard
 * rules plus this package's predefined ones (validation.proto), which it must be told about. A
 * validator that does not know them fails to compile the rules of the fields that use them.
 */
export function createRequestValidator(): Validator {
  return createValidator({ registry: createRegistry(file_platform_user_v1_validation) });
}
