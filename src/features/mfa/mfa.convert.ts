import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { MfaType } from "../../../gen/platform/user/v1/common_pb.js";
import type { MfaMethodSchema } from "../../../gen/platform/user/v1/mfa_service_pb.js";
import type { MfaKindValue } from "../../db/tables/mfa.js";
import { twoWayMap } from "../../shared/two-way-map.js";
import type { MfaMethodView } from "./mfa.service.js";

const methodTypes = twoWayMap<MfaKindValue | "backup_code", MfaType>([
  ["totp", MfaType.TOTP],
  ["sms", MfaType.SMS],
  ["backup_code", MfaType.BACKUP_CODE],
]);

/** enrolledKindFromPb reads the type of a SetupMfa or VerifyMfa request, which validation holds to TOTP or SMS. */
export function enrolledKindFromPb(type: MfaType): MfaKindValue {
  const kind = methodTypes.backward[type];
  if (kind !== "totp" && kind !== "sms") throw new Error(`MfaType ${type} is not an enrolled method`);
  return kind;
}

/** methodToPb shapes one of ListMfaMethods' methods. */
export function methodToPb(view: MfaMethodView): MessageInitShape<typeof MfaMethodSchema> {
  return {
    methodId: view.methodId,
    mfaType: methodTypes.forward[view.kind],
    active: view.active,
    maskedPhone: view.maskedPhone,
    remainingBackupCodes: view.remainingBackupCodes,
    createdAt: timestampFromDate(view.createdAt),
    lastUsedAt: view.lastUsedAt ? timestampFromDate(view.lastUsedAt) : undefined,
  };
}
