import { parsePhoneNumberFromString } from "libphonenumber-js/core";
// The full metadata checks a number against its country's numbering plan, not only its length.
// Taken as a module: the package's own entry point imports it as JSON without an import attribute.
import metadata from "libphonenumber-js/max/metadata";

/**
 * normalizePhone reads a phone number in international form and returns it in E.164 (+14155552671),
 * or undefined when it is not a number that can exist (checked against each country's numbering
 * plan, not only its length).
 */
export function normalizePhone(input: string): string | undefined {
  const parsed = parsePhoneNumberFromString(input, metadata);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** maskPhone hides all but the country calling code and the last four digits of an E.164 number: +1******2671. */
export function maskPhone(e164: string): string {
  const countryCode = parsePhoneNumberFromString(e164, metadata)?.countryCallingCode ?? e164.slice(1, 2);
  const national = e164.slice(1 + countryCode.length);
  return `+${countryCode}${"*".repeat(Math.max(0, national.length - 4))}${national.slice(-4)}`;
}
