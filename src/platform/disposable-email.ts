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
