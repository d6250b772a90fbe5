import net from "node:net";

type Request = { socket?: { remoteAddress?: string | undefined } | null; headers: Record<string, string | string[] | undefined> };

const unmapped = (address: string | undefined) => (address?.startsWith("::ffff:") ? address.slice(7) : address);

/**
 * clientAddress is the address a request came from. Behind `trustedProxyHops` proxies (load
 * balancers) it is the entry those proxies added to X-Forwarded-For, counted from the right: entries
 * further left were written by the client and prove nothing. With no trusted proxies the header is
 * ignored, since anyone can send it; rate limits and audit rows must not be steerable by a client.
 */
export function clientAddress(req: Request, trustedProxyHops: number): string | undefined {
  const peer = unmapped(req.socket?.remoteAddress);
  if (trustedProxyHops === 0) return peer;
  const header = req.headers["x-forwarded-for"];
  const hops = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").map((entry) => entry.trim()).filter(Boolean);
  const forwarded = unmapped(hops[hops.length - trustedProxyHops]);
  return forwarded && net.isIP(forwarded) ? forwarded : peer;
}
