import { DomainError } from "../../shared/domain-error.js";

/** unknownLanguage refuses a language that is not a well-formed BCP 47 tag. */
export const unknownLanguage = (language: string) => new DomainError("invalid_argument", "language_invalid", `preferences.language: "${language}" is not a BCP 47 language tag`);

/** unknownTimezone refuses a time zone the IANA database does not know. */
export const unknownTimezone = (timezone: string) => new DomainError("invalid_argument", "timezone_unknown", `preferences.timezone: "${timezone}" is not an IANA time zone`);

/** unknownMaskPath refuses an update_mask path that names no field of the preferences. */
export const unknownMaskPath = (path: string) => new DomainError("invalid_argument", "update_mask_path_unknown", `update_mask: "${path}" names no field of the preferences`);
