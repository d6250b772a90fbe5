#!/usr/bin/env node
// Prints buf/validate/validate.proto to stdout.
//
// Why this exists: our .proto files import "buf/validate/validate.proto" for
// protovalidate rules, but the npm package @bufbuild/protovalidate ships only
// the generated code, with the file's descriptor embedded, and not the .proto
// source. We compile our protos against a copy printed from that descriptor,
// so the rules we compile against always match the installed runtime.
// `npm run generate` runs this script into proto/buf/validate/validate.proto,
// formats it with `buf format` and then runs `buf generate`.
//
// The output is equivalent to the original when compiled (messages, enums,
// fields, oneofs, reserved and extension ranges, extensions), but it has no
// comments and leaves out custom options (for example protovalidate's own
// `(predefined)` rules). Only the built-in options protoc needs are kept.

import { isFieldSet } from "@bufbuild/protobuf";
import { protoCamelCase } from "@bufbuild/protobuf/reflect";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FieldDescriptorProtoSchema,
  FieldOptionsSchema,
  FileOptionsSchema,
} from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

const MAX_FIELD_NUMBER = 536870911;
const MAX_ENUM_NUMBER = 2147483647;

const SCALARS = {
  [Type.DOUBLE]: "double",
  [Type.FLOAT]: "float",
  [Type.INT64]: "int64",
  [Type.UINT64]: "uint64",
  [Type.INT32]: "int32",
  [Type.FIXED64]: "fixed64",
  [Type.FIXED32]: "fixed32",
  [Type.BOOL]: "bool",
  [Type.STRING]: "string",
  [Type.BYTES]: "bytes",
  [Type.UINT32]: "uint32",
  [Type.SFIXED32]: "sfixed32",
  [Type.SFIXED64]: "sfixed64",
  [Type.SINT32]: "sint32",
  [Type.SINT64]: "sint64",
};

const quote = (s) => JSON.stringify(s);

// The print* functions append lines to `out` (indented by `indent`) and return it.

/** The oneof index of a field, or undefined (an unset proto2 field reads as 0). */
const oneofIndexOf = (field) =>
  isFieldSet(field, FieldDescriptorProtoSchema.field.oneofIndex) ? field.oneofIndex : undefined;

/** Singular built-in options of an options message (extensions are skipped), as `name = value`. */
function builtinOptions(schema, options) {
  if (!options) return [];
  return schema.fields
    .filter((f) => (f.fieldKind === "scalar" || f.fieldKind === "enum") && isFieldSet(options, f))
    .map((f) => {
      const v = options[f.localName];
      const text = f.fieldKind === "enum" ? f.enum.value[v].name : typeof v === "string" ? quote(v) : String(v);
      return `${f.name} = ${text}`;
    });
}

/** protoc stores defaults as text; strings need quoting, bytes are already C-escaped. */
function formatDefault(field) {
  switch (field.type) {
    case Type.STRING:
      return quote(field.defaultValue);
    case Type.BYTES:
      return `"${field.defaultValue}"`;
    default:
      return field.defaultValue; // numbers, inf/nan, true/false, enum value names
  }
}

function fieldType(field) {
  if (field.type === Type.GROUP) {
    throw new Error(`group field "${field.name}" is not supported`);
  }
  if (field.type === Type.MESSAGE || field.type === Type.ENUM) return field.typeName;
  const scalar = SCALARS[field.type];
  if (!scalar) throw new Error(`unknown type ${field.type} of field "${field.name}"`);
  return scalar;
}

function fieldOptions(field) {
  const opts = builtinOptions(FieldOptionsSchema, field.options);
  if (isFieldSet(field, FieldDescriptorProtoSchema.field.defaultValue)) {
    opts.unshift(`default = ${formatDefault(field)}`);
  }
  const hasJsonName = isFieldSet(field, FieldDescriptorProtoSchema.field.jsonName);
  if (hasJsonName && field.jsonName !== protoCamelCase(field.name)) {
    opts.push(`json_name = ${quote(field.jsonName)}`);
  }
  return opts.length ? ` [${opts.join(", ")}]` : "";
}

/** Prints one field; `labelled` is false inside oneofs. `mapEntries` resolves map<K, V>. */
function printField(field, out, indent, syntax, labelled, mapEntries = new Map()) {
  const entry = field.type === Type.MESSAGE && mapEntries.get(field.typeName);
  let decl;
  if (entry) {
    const [key, value] = [1, 2].map((n) => fieldType(entry.field.find((f) => f.number === n)));
    decl = `map<${key}, ${value}>`;
  } else {
    let label = "";
    if (field.label === Label.REPEATED) label = "repeated ";
    else if (field.label === Label.REQUIRED) label = "required ";
    else if (labelled && (syntax === "proto2" || field.proto3Optional)) label = "optional ";
    decl = label + fieldType(field);
  }
  out.push(`${indent}${decl} ${field.name} = ${field.number}${fieldOptions(field)};`);
}

/** Prints `extend` blocks, grouping consecutive extensions of the same extendee. */
function printExtensions(extensions, out, indent, syntax) {
  for (let i = 0; i < extensions.length; ) {
    const extendee = extensions[i].extendee;
    out.push(`${indent}extend ${extendee} {`);
    for (; i < extensions.length && extensions[i].extendee === extendee; i++) {
      printField(extensions[i], out, indent + "  ", syntax, true);
    }
    out.push(`${indent}}`);
  }
  return out;
}

/** Ranges as `a`, `a to b` or `a to max`; message ranges end exclusive, enum ranges inclusive. */
function formatRanges(ranges, exclusiveEnd, max) {
  return ranges
    .map(({ start, end }) => {
      const last = exclusiveEnd ? end - 1 : end;
      if (last === start) return String(start);
      return `${start} to ${last === max ? "max" : last}`;
    })
    .join(", ");
}

function printReserved(ranges, names, out, indent, exclusiveEnd, max) {
  if (ranges.length) out.push(`${indent}reserved ${formatRanges(ranges, exclusiveEnd, max)};`);
  if (names.length) out.push(`${indent}reserved ${names.map(quote).join(", ")};`);
}

function printEnum(en, out, indent) {
  out.push(`${indent}enum ${en.name} {`);
  if (en.options?.allowAlias) out.push(`${indent}  option allow_alias = true;`);
  printReserved(en.reservedRange, en.reservedName, out, indent + "  ", false, MAX_ENUM_NUMBER);
  for (const value of en.value) {
    const deprecated = value.options?.deprecated ? " [deprecated = true]" : "";
    out.push(`${indent}  ${value.name} = ${value.number}${deprecated};`);
  }
  out.push(`${indent}}`);
  return out;
}

function printMessage(msg, out, indent, prefix, syntax) {
  const fqn = `${prefix}.${msg.name}`;
  const inner = indent + "  ";
  const mapEntries = new Map(
    msg.nestedType.filter((n) => n.options?.mapEntry).map((n) => [`${fqn}.${n.name}`, n]),
  );
  out.push(`${indent}message ${msg.name} {`);
  if (msg.options?.deprecated) out.push(`${inner}option deprecated = true;`);
  printReserved(msg.reservedRange, msg.reservedName, out, inner, true, MAX_FIELD_NUMBER);
  if (msg.extensionRange.length) {
    out.push(`${inner}extensions ${formatRanges(msg.extensionRange, true, MAX_FIELD_NUMBER)};`);
  }
  for (const en of msg.enumType) printEnum(en, out, inner);
  for (const nested of msg.nestedType) {
    if (!nested.options?.mapEntry) printMessage(nested, out, inner, fqn, syntax);
  }
  // A synthetic oneof (proto3 `optional`) holds a single proto3_optional field; it is not printed.
  const realOneof = (index) =>
    index !== undefined && !msg.field.some((f) => oneofIndexOf(f) === index && f.proto3Optional);
  const printedOneofs = new Set();
  for (const field of msg.field) {
    const index = oneofIndexOf(field);
    if (!realOneof(index)) {
      printField(field, out, inner, syntax, true, mapEntries);
      continue;
    }
    if (printedOneofs.has(index)) continue; // printed with the first field of its oneof
    printedOneofs.add(index);
    out.push(`${inner}oneof ${msg.oneofDecl[index].name} {`);
    for (const member of msg.field.filter((f) => oneofIndexOf(f) === index)) {
      printField(member, out, inner + "  ", syntax, false, mapEntries);
    }
    out.push(`${inner}}`);
  }
  printExtensions(msg.extension, out, inner, syntax);
  out.push(`${indent}}`);
  return out;
}

function printFile(file) {
  const syntax = file.syntax === "" ? "proto2" : file.syntax;
  if (syntax !== "proto2" && syntax !== "proto3") {
    throw new Error(`${file.name}: syntax "${file.syntax}" is not supported`);
  }
  if (file.service.length) throw new Error(`${file.name}: services are not supported`);
  const prefix = file.package ? `.${file.package}` : "";
  const importKind = (i) =>
    file.publicDependency.includes(i) ? "public " : file.weakDependency.includes(i) ? "weak " : "";
  // Top-level sections, separated by blank lines.
  const sections = [
    [`// Code generated by scripts/print-validate-proto.js from the descriptor in @bufbuild/protovalidate. DO NOT EDIT.`],
    [`syntax = "${syntax}";`],
    file.package ? [`package ${file.package};`] : [],
    file.dependency.map((dep, i) => `import ${importKind(i)}${quote(dep)};`),
    builtinOptions(FileOptionsSchema, file.options).sort().map((opt) => `option ${opt};`),
    ...file.messageType.map((msg) => printMessage(msg, [], "", prefix, syntax)),
    ...file.enumType.map((en) => printEnum(en, [], "")),
    printExtensions(file.extension, [], "", syntax),
  ];
  return sections.filter((lines) => lines.length).map((lines) => lines.join("\n")).join("\n\n") + "\n";
}

process.stdout.write(printFile(file_buf_validate_validate.proto));
