import type { DescEnum } from "@bufbuild/protobuf";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { MfaType, MfaTypeSchema } from "../../gen/platform/user/v1/common_pb.js";
import { h, type Option } from "./dom.js";

/** enumLabel spells an enum value for people: USER_STATUS_PENDING_VERIFICATION reads "Pending verification", an UNSPECIFIED zero "—". */
export function enumLabel(desc: DescEnum, value: number): string {
  const found = desc.values.find((v) => v.number === value);
  if (!found) return String(value);
  if (found.number === 0 && found.name.endsWith("_UNSPECIFIED")) return "—";
  const words = found.localName.toLowerCase().replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const MFA_LABELS: Partial<Record<MfaType, string>> = {
  [MfaType.TOTP]: "Authenticator app (TOTP)",
  [MfaType.SMS]: "SMS code",
  [MfaType.BACKUP_CODE]: "Backup code",
};

/** mfaLabel names a second-factor method for people (enumLabel would spell TOTP "Totp"). */
export function mfaLabel(type: MfaType): string {
  return MFA_LABELS[type] ?? enumLabel(MfaTypeSchema, type);
}

/** enumOptions are an enum's values as select options, without the UNSPECIFIED zero value. */
export function enumOptions(desc: DescEnum): Option[] {
  return desc.values.filter((v) => v.number !== 0).map((v) => ({ value: String(v.number), label: enumLabel(desc, v.number) }));
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** when shows a timestamp in the reader's locale, with the exact instant in its datetime attribute; "—" when unset. */
export function when(timestamp: Timestamp | undefined): HTMLElement | string {
  if (!timestamp) return "—";
  const date = timestampDate(timestamp);
  return h("time", { datetime: date.toISOString() }, dateTime.format(date));
}

/** orDash shows an empty string as "—". */
export function orDash(text: string): string {
  return text === "" ? "—" : text;
}
