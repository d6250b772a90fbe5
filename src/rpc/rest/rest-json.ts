import type { DescEnum, DescField, DescMessage } from "@bufbuild/protobuf";

// The REST paths speak the seeds' JSON: fields by their proto names (snake_case) and enums by their
// short lower-case spelling ("totp" for MFA_TYPE_TOTP, "email" for EMAIL). The RPCs speak ProtoJSON:
// lowerCamelCase names and full enum names. These walks translate between the two along the
// message descriptors, so no endpoint needs a converter of its own.

/** Json is a parsed JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** JsonObject is a parsed JSON object. */
export type JsonObject = { [key: string]: Json };

const fieldsByName = new WeakMap<DescMessage, Map<string, DescField>>();

/** fieldNamed finds a field of the message by its proto name or its JSON name. */
export function fieldNamed(message: DescMessage, name: string): DescField | undefined {
  let fields = fieldsByName.get(message);
  if (!fields) {
    fields = new Map();
    for (const field of message.fields) fields.set(field.name, field).set(field.jsonName, field);
    fieldsByName.set(message, fields);
  }
  return fields.get(name);
}

/** enumSpelling is the short lower-case name the REST paths use for an enum value. */
export function enumSpelling(value: { localName: string }): string {
  return value.localName.toLowerCase();
}

/** UnknownEnumSpelling is a REST value that names no value of its field's enum. */
export class UnknownEnumSpelling extends Error {
  constructor(field: DescField, spelling: string) {
    const known = (field.enum?.values ?? []).map(enumSpelling).filter((name) => !name.endsWith("unspecified"));
    super(`${field.name}: unknown value "${spelling}"; use one of ${known.join(", ")}`);
  }
}

/**
 * fullEnumName turns a REST spelling of an enum value of the field into its proto name: "totp" and
 * "TOTP" into MFA_TYPE_TOTP. A full name or a number passes through; a string that names no value
 * throws UnknownEnumSpelling, so the caller learns which field is wrong.
 */
export function fullEnumName(field: DescField, enumDesc: DescEnum, spelling: Json): Json {
  if (typeof spelling !== "string") return spelling;
  const wanted = spelling.toLowerCase();
  const value = enumDesc.values.find((candidate) => candidate.name === spelling || enumSpelling(candidate) === wanted);
  if (!value) throw new UnknownEnumSpelling(field, spelling);
  return value.name;
}

// Well-known types (Timestamp, Struct, FieldMask, wrappers...) have JSON forms of their own: leave them be.
function isOpaque(message: DescMessage): boolean {
  return message.typeName.startsWith("google.protobuf.");
}

function isObject(value: Json): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A field's value converted along its type: enums by `enumValue`, messages by `walk`, lists and maps element by element. */
function convertValue(field: DescField, value: Json, enumValue: (f: DescField, e: DescEnum, v: Json) => Json, walk: (m: DescMessage, v: Json) => Json): Json {
  switch (field.fieldKind) {
    case "enum":
      return enumValue(field, field.enum, value);
    case "message":
      return walk(field.message, value);
    case "list":
      if (!Array.isArray(value)) return value;
      if (field.listKind === "enum") return value.map((v) => enumValue(field, field.enum, v));
      if (field.listKind === "message") return value.map((v) => walk(field.message, v));
      return value;
    case "map":
      if (!isObject(value) || field.mapKind === "scalar") return value;
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, field.mapKind === "enum" ? enumValue(field, field.enum, v) : walk(field.message, v)]),
      );
    default:
      return value;
  }
}

/**
 * protoJsonFromRest turns a REST request body into the ProtoJSON of `message`: enum spellings
 * become full names. Names stay as given: the ProtoJSON parser takes proto names and JSON names
 * alike, and refuses a name that is neither.
 */
export function protoJsonFromRest(message: DescMessage, value: Json): Json {
  if (!isObject(value) || isOpaque(message)) return value;
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    const field = fieldNamed(message, key);
    out[key] = field ? convertValue(field, item, fullEnumName, protoJsonFromRest) : item;
  }
  return out;
}

function shortEnumName(_field: DescField, enumDesc: DescEnum, value: Json): Json {
  if (typeof value !== "string") return value;
  const found = enumDesc.values.find((v) => v.name === value);
  return found ? enumSpelling(found) : value;
}

/** restFromProtoJson turns the ProtoJSON of `message` into the REST form: proto names and short enum spellings. */
export function restFromProtoJson(message: DescMessage, value: Json): Json {
  if (!isObject(value) || isOpaque(message)) return value;
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    const field = fieldNamed(message, key);
    if (field) out[field.name] = convertValue(field, item, shortEnumName, restFromProtoJson);
    else out[key] = item;
  }
  return out;
}
