import fs from "node:fs/promises";
import { BlockList, isIP } from "node:net";

/** NetworkList says whether an address lies in any of a list of networks. */
export interface NetworkList {
  contains(ipAddress: string | undefined): boolean;
}

/** noNetworks is the empty list. */
export const noNetworks: NetworkList = { contains: () => false };

/**
 * networkListOf builds a list from CIDRs (203.0.113.0/24, 2001:db8::/32) or single addresses. An
 * entry that is neither throws, naming it with where(index).
 */
export function networkListOf(entries: readonly string[], where: (index: number) => string = (index) => `entry ${index + 1}`): NetworkList {
  const list = new BlockList();
  entries.forEach((entry, index) => {
    const [address = "", prefix] = entry.split("/");
    const family = isIP(address);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) throw new Error(`${where(index)}: "${entry}" is not a network`);
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

/**
 * loadNetworkList reads networks as networkListOf takes them, one per line, with # comments and
 * blank lines ignored. A line that is not a network throws, naming its number.
 */
export async function loadNetworkList(file: string): Promise<NetworkList> {
  const lines = (await fs.readFile(file, "utf8")).split("\n").map((raw, index) => ({ line: raw.replace(/#.*/, "").trim(), number: index + 1 }));
  const entries = lines.filter(({ line }) => line !== "");
  return networkListOf(
    entries.map(({ line }) => line),
    (index) => `line ${entries[index]!.number}`,
  );
}
