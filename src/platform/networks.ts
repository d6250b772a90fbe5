import fs from "node:fs/promises";
import { BlockList, isIP } from "node:net";

/** NetworkList says whether an address lies in any of a list of networks. */
export interface NetworkList {
  contains(ipAddress: string | undefined): boolean;
}

/** noNetworks is the empty list. */
export const noNetworks: NetworkList = { contains: () => false };

/**
 * loadNetworkList reads CIDRs (203.0.113.0/24, 2001:db8::/32) or single addresses, one per line,
 * with # comments and blank lines ignored. A line that is neither throws, naming its number.
 */
export async function loadNetworkList(file: string): Promise<NetworkList> {
  const list = new BlockList();
  const lines = (await fs.readFile(file, "utf8")).split("\n");
  lines.forEach((raw, index) => {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) return;
    const [address = "", prefix] = line.split("/");
    const family = isIP(address);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) throw new Error(`line ${index + 1}: "${line}" is not a network`);
    list.addSubnet(address, bits, family === 6 ? "ipv6" : "ipv4");
  });
  return {
    contains(ipAddress) {
      if (!ipAddress) return false;
      const family = isIP(ipAddress);
      return family !== 0 && list.check(ipAddress, family === 6 ? "ipv6" : "ipv4");
    },
  };
}
