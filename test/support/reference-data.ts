import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// Published reference data (MaxMind's GeoIP test databases, the OFAC list) is too large, and not
// ours, to keep in the repository: suites read it from REFERENCE_DATA_DIR, by default the team's
// shared data folder beside the checkout.
const DIR = process.env.REFERENCE_DATA_DIR ?? path.join(fileURLToPath(new URL("../../../", import.meta.url)), "shared", "data");

/**
 * referenceDataFile is the path of a reference data file, or undefined when this machine lacks it
 * (the suite then skips, saying so). Under REQUIRE_SERVICES=1 a missing file fails the run instead.
 */
export function referenceDataFile(relative: string): string | undefined {
  const file = path.join(DIR, relative);
  if (fs.existsSync(file)) return file;
  if (process.env.REQUIRE_SERVICES === "1") throw new Error(`REQUIRE_SERVICES=1 but the reference data file ${file} is missing (set REFERENCE_DATA_DIR)`);
  console.warn(`skipping: reference data ${file} is missing (set REFERENCE_DATA_DIR)`);
  return undefined;
}
