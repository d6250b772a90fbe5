import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "@jest/globals";
import { openGeoIp } from "../../src/platform/geoip.js";
import { referenceDataFile } from "../support/reference-data.js";

const city = referenceDataFile("geoip/GeoIP2-City-Test.mmdb");
const asn = referenceDataFile("geoip/GeoLite2-ASN-Test.mmdb");
const describeWithData = city && asn ? describe : describe.skip;

describeWithData("openGeoIp", () => {
  it("places addresses the database knows, and no others", async () => {
    const geoip = await openGeoIp(city!);
    try {
      expect(geoip.locate("81.2.69.160")).toEqual({ country: "GB", city: "London", latitude: 51.5142, longitude: -0.0931 });
      expect(geoip.locate("2001:218::1")).toMatchObject({ country: "JP", city: undefined });
      expect([geoip.locate("127.0.0.1"), geoip.locate(undefined), geoip.locate("not an address")]).toEqual([undefined, undefined, undefined]);
    } finally {
      geoip.close();
    }
  });

  it("reads the file again when it is replaced", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-geoip-"));
    const file = path.join(dir, "city.mmdb");
    await fs.copyFile(city!, file);
    const geoip = await openGeoIp(file);
    try {
      expect(geoip.locate("81.2.69.160")?.country).toBe("GB");
      // A database without cities in its place: the same address is no longer placed.
      await fs.copyFile(asn!, `${file}.new`);
      await fs.rename(`${file}.new`, file);
      const deadline = Date.now() + 15_000;
      while (geoip.locate("81.2.69.160")?.country !== undefined && Date.now() < deadline) await sleep(250);
      expect(geoip.locate("81.2.69.160")?.country).toBeUndefined();
    } finally {
      geoip.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
