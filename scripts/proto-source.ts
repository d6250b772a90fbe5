// The contract compiled with its comments, for the scripts that print documents from it
// (docs/api.md, the OpenAPI document). The generated code in gen/ embeds descriptors without
// comments, so the proto is compiled here with `buf build`, which keeps them (source code info).

import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { createFileRegistry, fromBinary, type AnyDesc, type DescFile, type Registry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema, type SourceCodeInfo_Location } from "@bufbuild/protobuf/wkt";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** compileProto builds the contract with `buf build`, comments included. */
export function compileProto(): Registry {
  const buf = createRequire(import.meta.url).resolve("@bufbuild/buf/bin/buf");
  const run = spawnSync(process.execPath, [buf, "build", "--as-file-descriptor-set", "-o", "-"], { cwd: ROOT, maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`buf build failed: ${run.stderr.toString()}`);
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, run.stdout));
}

/** sourcePath is a descriptor's path in its file's source code info (see descriptor.proto). */
function sourcePath(desc: AnyDesc): number[] {
  switch (desc.kind) {
    case "message":
      return desc.parent
        ? [...sourcePath(desc.parent), 3, desc.parent.proto.nestedType.indexOf(desc.proto)]
        : [4, desc.file.proto.messageType.indexOf(desc.proto)];
    case "enum":
      return desc.parent
        ? [...sourcePath(desc.parent), 4, desc.parent.proto.enumType.indexOf(desc.proto)]
        : [5, desc.file.proto.enumType.indexOf(desc.proto)];
    case "enum_value":
      return [...sourcePath(desc.parent), 2, desc.parent.proto.value.indexOf(desc.proto)];
    case "field":
      return [...sourcePath(desc.parent), 2, desc.parent.proto.field.indexOf(desc.proto)];
    case "oneof":
      return [...sourcePath(desc.parent), 8, desc.parent.proto.oneofDecl.indexOf(desc.proto)];
    case "service":
      return [6, desc.file.proto.service.indexOf(desc.proto)];
    case "rpc":
      return [...sourcePath(desc.parent), 2, desc.parent.proto.method.indexOf(desc.proto)];
    default:
      throw new Error(`no source path for ${desc.kind}`);
  }
}

const locations = new Map<DescFile, Map<string, SourceCodeInfo_Location>>();

/** fileOf is the file a descriptor is declared in. */
function fileOf(desc: AnyDesc): DescFile {
  switch (desc.kind) {
    case "enum_value":
    case "field":
    case "oneof":
    case "rpc":
      return desc.parent.file;
    case "file":
      return desc;
    default:
      return desc.file;
  }
}

/**
 * commentOf returns a descriptor's leading comment as paragraphs of lines, without lint directives.
 * Every element the reference shows must have one, so a missing comment fails generation.
 */
export function commentOf(desc: AnyDesc, optional = false): string[][] {
  const file = fileOf(desc);
  if (!locations.has(file)) {
    const byPath = new Map<string, SourceCodeInfo_Location>();
    for (const location of file.proto.sourceCodeInfo?.location ?? []) byPath.set(location.path.join(","), location);
    locations.set(file, byPath);
  }
  const text = locations.get(file)?.get(sourcePath(desc).join(","))?.leadingComments ?? "";
  const paragraphs: string[][] = [[]];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/^ /, "").trimEnd();
    if (line.startsWith("buf:lint:")) continue;
    if (line === "") paragraphs.push([]);
    else paragraphs.at(-1)!.push(line);
  }
  const result = paragraphs.filter((p) => p.length > 0);
  if (result.length === 0 && !optional) throw new Error(`${describe(desc)} has no comment`);
  return result;
}

const describe = (desc: AnyDesc) => ("typeName" in desc ? desc.typeName : `${desc.kind} ${desc.name}`);
