// Prints gen/openapi.ts, the OpenAPI 3.1 document of the REST paths, to stdout:
// `node --import tsx scripts/print-openapi.ts`. The service serves it at GET /openapi.json.
//
// Why this exists: the REST paths come from the `google.api.http` annotations in proto/, and their
// description must not drift from them, so it is generated from the same compiled contract,
// comments included. `npm run generate` writes it after `buf generate`, CI fails when the committed
// file differs, and test/rpc/openapi.test.ts checks it against the routes the server serves.

import { readFileSync } from "node:fs";
import { ScalarType, type AnyDesc, type DescEnum, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { isPublic } from "../src/rpc/access-rules.js";
import { restRoutes, type RestRoute } from "../src/rpc/rest/http-rules.js";
import { enumSpelling } from "../src/rpc/rest/rest-json.js";
import { API_SERVICES } from "../src/rpc/router.js";
import { commentOf, compileProto } from "./proto-source.js";

type Schema = Record<string, unknown>;

const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

// How the well-known types look in JSON (ProtoJSON), as schemas. A new one must be described here.
const WELL_KNOWN: Record<string, Schema> = {
  "google.protobuf.Timestamp": { type: "string", format: "date-time" },
  "google.protobuf.FieldMask": { type: "string", description: "Comma-separated field paths." },
  "google.protobuf.Struct": { type: "object" },
};

const ERROR_SCHEMA: Schema = {
  type: "object",
  properties: { code: { type: "string", description: "The gRPC code in lower snake_case, such as not_found." }, message: { type: "string" } },
  required: ["code", "message"],
};

const SCALARS: Partial<Record<ScalarType, Schema>> = {
  [ScalarType.STRING]: { type: "string" },
  [ScalarType.BOOL]: { type: "boolean" },
  [ScalarType.BYTES]: { type: "string", contentEncoding: "base64" },
  [ScalarType.INT32]: { type: "integer", format: "int32" },
  [ScalarType.SINT32]: { type: "integer", format: "int32" },
  [ScalarType.SFIXED32]: { type: "integer", format: "int32" },
  [ScalarType.UINT32]: { type: "integer", format: "int32", minimum: 0 },
  [ScalarType.FIXED32]: { type: "integer", format: "int32", minimum: 0 },
  // ProtoJSON writes 64-bit integers as strings, so no precision is lost in JavaScript clients.
  [ScalarType.INT64]: { type: "string", format: "int64" },
  [ScalarType.SINT64]: { type: "string", format: "int64" },
  [ScalarType.SFIXED64]: { type: "string", format: "int64" },
  [ScalarType.UINT64]: { type: "string", format: "int64" },
  [ScalarType.FIXED64]: { type: "string", format: "int64" },
  [ScalarType.FLOAT]: { type: "number", format: "float" },
  [ScalarType.DOUBLE]: { type: "number", format: "double" },
};

/** The comment of a descriptor as one description, or nothing. */
function description(desc: AnyDesc): { description?: string } {
  const text = commentOf(desc, true)
    .map((paragraph) => paragraph.join(" "))
    .join("\n\n");
  return text ? { description: text } : {};
}

const ref = (desc: DescMessage | DescEnum) => ({ $ref: `#/components/schemas/${desc.typeName}` });

/** The schemas the document's operations refer to, by type name; filled as types are met. */
const components = new Map<string, Schema>();

function enumSchema(desc: DescEnum): Schema {
  if (!components.has(desc.typeName)) {
    components.set(desc.typeName, { type: "string", enum: desc.values.map(enumSpelling), ...description(desc) });
  }
  return ref(desc);
}

function messageRef(desc: DescMessage): Schema {
  if (desc.typeName.startsWith("google.protobuf.")) {
    const known = WELL_KNOWN[desc.typeName];
    if (!known) throw new Error(`${desc.typeName} has no JSON schema`);
    return known;
  }
  if (!components.has(desc.typeName)) {
    components.set(desc.typeName, {}); // placed first: a message may refer to itself
    components.set(desc.typeName, messageSchema(desc, new Set()));
  }
  return ref(desc);
}

function singleSchema(field: DescField, kind: "scalar" | "enum" | "message"): Schema {
  if (kind === "enum") return enumSchema(field.enum!);
  if (kind === "message") return messageRef(field.message!);
  const scalar = SCALARS[field.scalar!];
  if (!scalar) throw new Error(`${field.parent.typeName}.${field.name}: no schema for its scalar type`);
  return scalar;
}

function fieldSchema(field: DescField): Schema {
  switch (field.fieldKind) {
    case "list":
      return { type: "array", items: singleSchema(field, field.listKind) };
    case "map":
      return { type: "object", additionalProperties: singleSchema(field, field.mapKind) };
    default:
      return singleSchema(field, field.fieldKind);
  }
}

/** With a $ref, other keywords are allowed in 3.1; the description goes beside it. */
function described(field: DescField): Schema {
  return { ...fieldSchema(field), ...description(field) };
}

function messageSchema(message: DescMessage, omit: ReadonlySet<DescField>): Schema {
  const properties = Object.fromEntries(message.fields.filter((f) => !omit.has(f)).map((f) => [f.name, described(f)]));
  return { type: "object", properties, additionalProperties: false, ...description(message) };
}

/** A field given as a query parameter: a scalar, an enum, a timestamp, or a list of those. */
function isQueryable(field: DescField): boolean {
  if (field.fieldKind === "message") return field.message.typeName === "google.protobuf.Timestamp";
  return field.fieldKind !== "map" && !(field.fieldKind === "list" && field.listKind === "message");
}

function operation(route: RestRoute): Schema {
  const { method } = route;
  const pathFields = new Set(route.segments.flatMap((segment) => ("field" in segment ? [segment.field] : [])));
  const parameters = [...pathFields].map((field) => ({ name: field.name, in: "path", required: true, schema: fieldSchema(field), ...description(field) }));
  if (route.body === undefined) {
    const query = method.input.fields.filter((field) => !pathFields.has(field) && isQueryable(field));
    parameters.push(...query.map((field) => ({ name: field.name, in: "query", required: false, schema: fieldSchema(field), ...description(field) })));
  }
  let requestBody: Schema | undefined;
  if (route.body === "*") {
    const schema = pathFields.size > 0 ? messageSchema(method.input, pathFields) : messageRef(method.input);
    requestBody = { required: true, content: { "application/json": { schema } } };
  } else if (route.body !== undefined) {
    const field = method.input.fields.find((f) => f.name === route.body)!;
    requestBody = { required: true, content: { "application/json": { schema: fieldSchema(field) } } };
  }
  const [summary] = commentOf(method);
  return {
    operationId: `${method.parent.name}_${method.name}`,
    summary: summary!.join(" ").split(/(?<=\.)\s/)[0],
    ...description(method),
    tags: [method.parent.name],
    ...(parameters.length > 0 && { parameters }),
    ...(requestBody && { requestBody }),
    responses: {
      "200": { description: `The ${method.output.name}.`, content: { "application/json": { schema: messageRef(method.output) } } },
      default: { $ref: "#/components/responses/Error" },
    },
    security: isPublic(method) ? [] : [{ bearerAuth: [] }],
  };
}

function openApiDocument(): Schema {
  const registry = compileProto();
  const services = API_SERVICES.map((service) => {
    const compiled = registry.getService(service.typeName);
    if (!compiled) throw new Error(`${service.typeName} is not in the compiled contract`);
    return compiled;
  });
  const paths: Record<string, Record<string, Schema>> = {};
  for (const route of restRoutes(services)) {
    (paths[route.template] ??= {})[route.httpMethod.toLowerCase()] = operation(route);
  }
  const schemas = { ...Object.fromEntries([...components.entries()].sort(([a], [b]) => a.localeCompare(b))), Error: ERROR_SCHEMA };
  return {
    openapi: "3.1.0",
    info: {
      title: "user-service REST paths",
      version,
      description:
        "The REST paths of user-service, transcoded to its RPCs: the same authentication, validation and errors. " +
        "Fields go by their proto names (snake_case) and enum values by their short lower-case names. " +
        "Every RPC is also served over gRPC, gRPC-Web and Connect (POST /platform.user.v1.<Service>/<Method>).",
    },
    paths,
    components: {
      schemas,
      responses: {
        Error: {
          description: "An error: the HTTP status follows the code (invalid_argument 400, unauthenticated 401, permission_denied 403, not_found 404, already_exists 409, resource_exhausted 429, unavailable 503...).",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
      },
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "An access token from Register, Login or RefreshToken." } },
    },
  };
}

const document = openApiDocument();

process.stdout.write(
  [
    "// Generated by scripts/print-openapi.ts from proto/ (npm run generate): do not edit.",
    "",
    "/** openApiDocument is the OpenAPI 3.1 description of the REST paths, served at GET /openapi.json. */",
    `export const openApiDocument: unknown = ${JSON.stringify(document, null, 2)};`,
    "",
  ].join("\n"),
);
