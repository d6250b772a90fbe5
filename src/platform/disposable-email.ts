import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
// The maintained lists of throwaway-mail domains: exact domains, and domains whose every subdomain is one.
const exact = new Set<string>(require("disposable-email-domains") as string[]);
const withSubdomains = new Set<string>(require("disposable-email-domains/wildcard.json") as string[]);

/** isDisposableEmail says whether an address belongs to a throwaway-mail service. */
export function isDisposableEmail(email: string): boolean {
  const domain = email.slice(email.lastIndexOf("@") + 1).toLowerCase();
  if (exact.has(domain)) return true;
  const labels = domain.split(".");
  return labels.some((_, i) => withSubdomains.has(labels.slice(i).join(".")));
}

// Names reserved for documentation and testing (RFC 2606, RFC 6761): no mail is ever delivered there.
const RESERVED_DOMAINS = new Set(["example.com", "example.net", "example.org"]);
const RESERVED_TLDS = new Set(["example", "invalid", "localhost", "test", "local"]);

/** isReservedEmailDomain says whether an address is under a name reserved for examples and tests, which no mail reaches. */
export function isReservedEmailDomain(email: string): boolean {
  const domain = email.slice(email.lastIndexOf("@") + 1).toLowerCase();
  const labels = domain.split(".");
  return RESERVED_TLDS.has(labels.at(-1)!) || labels.some((_, i) => RESERVED_DOMAINS.has(labels.slice(i).join(".")));
}
