import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "@jest/globals";
import { loadNetworkList } from "../../src/platform/networks.js";

async function listFrom(text: string) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-networks-"));
  try {
    const file = path.join(dir, "networks.txt");
    await fs.writeFile(file, text);
    return await loadNetworkList(file);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

describe("loadNetworkList", () => {
  it("matches addresses in the listed networks, IPv4 and IPv6, ignoring comments and blank lines", async () => {
    const list = await listFrom("# hosting ranges\n203.0.113.0/24\n\n2001:db8::/32  # documentation\n198.51.100.7\n");
    expect(["203.0.113.9", "2001:db8::1", "198.51.100.7"].map((ip) => list.contains(ip))).toEqual([true, true, true]);
    expect(["203.0.114.1", "2001:db9::1", "198.51.100.8", undefined, "not an address"].map((ip) => list.contains(ip))).toEqual([false, false, false, false, false]);
  });

  it("names the line that is not a network", async () => {
    await expect(listFrom("203.0.113.0/24\n300.1.1.1/8\n")).rejects.toThrow('line 2: "300.1.1.1/8" is not a network');
    await expect(listFrom("10.0.0.0/33\n")).rejects.toThrow("line 1");
  });
});
