// Prints docs/api.md, the API reference, to stdout: `node --import tsx scripts/print-api-reference.ts`.
//
// Why this exists: the reference must not drift from the contract, so it is generated from it.
// `npm run generate` writes it after `buf generate`, CI fails when the committed file differs, and
// test/proto/api-reference.test.ts compares it with this script's output and checks its
// "implemented" column against what the server answers.
//
// The generated code in gen/ embeds descriptors without comments, so the proto is compiled here with
// `buf build`, which keeps them (source code info). Access rules come from the `(rule)` method
// option, validation rules from the protovalidate options, and whether an RPC is implemented from
// the registrations the composition root hands the router (features() in src/app.ts).

import {
  getOption,
  hasOption,
  ScalarType,
  type DescEnum,
  type DescField,
  type DescMessage,
  type DescMethod,
  type DescService,
  type Registry,
} from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import {
  FieldRulesSchema,
  field as fieldRules,
  message as messageRules,
  MessageRulesSchema,
  oneof as oneofRules,
  OneofRulesSchema,
  predefined,
  PredefinedRulesSchema,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { hasOrganizationPermission, hasPlatformPermission, ORGANIZATION_ROLES } from "../src/features/authorization/permissions.js";
import { accessRuleOf } from "../src/rpc/access-rules.js";
import { PLATFORM_ROLES } from "../src/shared/principal.js";
import { registeredRpcs } from "../src/app.js";
import { API_SERVICES } from "../src/rpc/router.js";
import { restRoutes } from "../src/rpc/rest/http-rules.js";
import { commentOf, compileProto } from "./proto-source.js";

const PACKAGE = "platform.user.v1";

// How the well-known types the contract uses look in JSON. A new one must be described here.
const WELL_KNOWN_JSON: Record<string, string> = {
  "google.protobuf.Timestamp": 'an RFC 3339 string in UTC, such as `"2024-05-01T12:30:00Z"`',
  "google.protobuf.FieldMask": 'one string of comma-separated lowerCamelCase paths, such as `"theme,tradingPreferences.defaultCurrency"`',
  "google.protobuf.Struct": "any JSON object",
};

// The status codes the service answers with. src/rpc/errors.ts is the one place that chooses them.
const ERROR_CODES: Array<[code: string, meaning: string]> = [
  ["INVALID_ARGUMENT", "The request breaks a rule listed in this reference (the error details carry a `buf.validate.Violations` message naming each field), or the service refuses a value, such as a commonly used password."],
  ["UNAUTHENTICATED", "No access token, an invalid, expired or revoked one, or wrong credentials. An unknown e-mail and a wrong password answer the same."],
  ["PERMISSION_DENIED", "The RPC's access rule refuses the caller."],
  ["NOT_FOUND", "What the request names does not exist."],
  ["ALREADY_EXISTS", "What the request would create exists already, such as an account with that e-mail."],
  ["FAILED_PRECONDITION", "The state does not allow the request, such as a sign-in to a suspended account."],
  ["RESOURCE_EXHAUSTED", "A rate limit or sign-in lockout refuses the request; `x-error-reason` names it (such as `login_locked_account_address` or `registration_rate_ip`) and `retry-after` says after how many seconds to try again."],
  ["UNAVAILABLE", "A backing service (database, Redis, an identity provider) cannot be reached; retry later."],
  ["UNIMPLEMENTED", "The RPC is part of the contract but not implemented yet (see each service's table)."],
  ["INTERNAL", "An unexpected failure. The message says no more than that; the service logs the details."],
];

// ---- Markdown -------------------------------------------------------------------------------------

/** escapeText escapes what Markdown would misread in prose, leaving `code spans` as they are. */
function escapeText(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/[\\*<]/g, (c) => (c === "<" ? "&lt;" : `\\${c}`))))
    .join("");
}

/** code renders text as a code span. */
const code = (text: string) => (text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``);

/** cell makes text safe inside a table cell: one line, pipes escaped (also inside code spans). */
const cell = (text: string) => text.replaceAll("|", "\\|");

/** prose renders comment paragraphs as Markdown paragraphs. */
const prose = (paragraphs: string[][]) => paragraphs.map((lines) => lines.map(escapeText).join("\n"));

/** inline renders comment paragraphs on one line, for table cells. */
const inline = (paragraphs: string[][]) => paragraphs.map((lines) => lines.map(escapeText).join(" ")).join("<br><br>");

/** slug is the anchor GitHub gives a heading. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

/** table renders a Markdown table. */
function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)];
}

// ---- Types ----------------------------------------------------------------------------------------

/** localName is a message's or enum's name within the package, such as `LoginResponse` or `A.B`. */
const localName = (desc: DescMessage | DescEnum) => desc.typeName.slice(PACKAGE.length + 1);

const isOurs = (desc: DescMessage | DescEnum) => desc.typeName.startsWith(`${PACKAGE}.`);

/** typeLink renders a message or enum type, linked to its section when the package declares it. */
function typeLink(desc: DescMessage | DescEnum): string {
  if (isOurs(desc)) return `[${localName(desc)}](#${slug(localName(desc))})`;
  if (!(desc.typeName in WELL_KNOWN_JSON)) throw new Error(`${desc.typeName} has no JSON description in WELL_KNOWN_JSON`);
  return `[${desc.typeName}](#well-known-types)`;
}

const scalarName = (scalar: ScalarType) => ScalarType[scalar].toLowerCase();

/** fieldType renders a field's type: scalar, enum or message, repeated or map, optional or oneof. */
function fieldType(field: DescField): string {
  const element = (f: { message?: DescMessage; enum?: DescEnum; scalar?: ScalarType }) =>
    f.message ? typeLink(f.message) : f.enum ? typeLink(f.enum) : scalarName(f.scalar!);
  switch (field.fieldKind) {
    case "list":
      return `repeated ${element(field)}`;
    case "map":
      return `map of ${scalarName(field.mapKey)} to ${element(field)}`;
    default: {
      const base = element(field);
      if (field.oneof) return `${base} (oneof ${code(field.oneof.name)})`;
      return field.proto.proto3Optional ? `optional ${base}` : base;
    }
  }
}

/** referencedTypes lists the messages and enums a message's fields use. */
function referencedTypes(message: DescMessage): Array<DescMessage | DescEnum> {
  return message.fields.flatMap((f) => [f.message, f.enum].filter((d): d is DescMessage | DescEnum => d !== undefined));
}

// ---- Validation rules -----------------------------------------------------------------------------

// How `ignore` reads in the Rules column.
const IGNORE_TEXT: Record<string, string> = {
  IGNORE_IF_ZERO_VALUE: "checked only when set",
  IGNORE_ALWAYS: "never checked",
};

/** ruleItems renders the given set fields of a rules message. `enumType` names enum rules' numbers. */
function ruleItems(rules: ReflectMessage, fields: readonly DescField[] = lowerBoundsFirst(rules.sortedFields), enumType?: DescEnum): string[] {
  const items: string[] = [];
  for (const f of fields) {
    if (!rules.isSet(f)) continue;
    const value = rules.get(f);
    if (f.name === "cel") {
      for (const rule of value as Iterable<ReflectMessage>) items.push(celText(rule));
      continue;
    }
    const one = (v: unknown): string => {
      const names = f.enum ?? (typeof v === "number" ? enumType : undefined);
      return names?.values.find((e) => e.number === v)?.name ?? String(v);
    };
    switch (f.fieldKind) {
      case "scalar":
      case "enum":
        if (f.name === "ignore" && IGNORE_TEXT[one(value)]) items.push(IGNORE_TEXT[one(value)]!);
        else items.push(value === true ? code(f.name) : code(`${f.name}: ${one(value)}`));
        break;
      case "list":
        if (f.listKind === "message") {
          for (const m of value as Iterable<ReflectMessage>) items.push(`${code(f.name)} (${ruleItems(m).join(", ")})`);
        } else items.push(code(`${f.name}: [${[...(value as Iterable<unknown>)].map(one).join(", ")}]`));
        break;
      case "message":
        items.push(`${code(f.name)} (${ruleItems(value as ReflectMessage).join(", ")})`);
        break;
      default:
        throw new Error(`cannot render rule ${f.name}`);
    }
  }
  return items;
}

/** lowerBoundsFirst puts `gt` and `gte` before `lt` and `lte`, as a range reads. */
const lowerBoundsFirst = (fields: readonly DescField[]) =>
  [...fields].sort((a, b) => Number(a.name.startsWith("lt")) - Number(b.name.startsWith("lt")));

/** celText renders a CEL rule by its message, or its expression when it has none. */
function celText(rule: ReflectMessage): string {
  const get = (name: string) => String(rule.get(rule.fields.find((f) => f.name === name)!));
  return get("message") ? escapeText(get("message")) : code(get("expression"));
}

/**
 * predefinedRuleItems renders the predefined rules of our own (extensions of a type's rules message,
 * such as human_name in validation.proto) that a field sets: their name and what their rules say.
 */
function predefinedRuleItems(field: DescField, typeRules: ReflectMessage): string[] {
  const set = new Set((typeRules.message.$unknown ?? []).map((u) => u.no));
  const extensions = [field.parent.file, ...field.parent.file.dependencies].flatMap((file) => file.extensions);
  return extensions
    .filter((ext) => ext.extendee.typeName === typeRules.desc.typeName && set.has(ext.number))
    .map((ext) => {
      const said = hasOption(ext, predefined) ? reflect(PredefinedRulesSchema, getOption(ext, predefined)) : undefined;
      return said ? `${code(ext.name)} (${ruleItems(said).join("; ")})` : code(ext.name);
    });
}

/** fieldRuleText renders a field's protovalidate rules, short: the type's rules lose their prefix. */
function fieldRuleText(field: DescField): string {
  if (!hasOption(field, fieldRules)) return "";
  const rules = reflect(FieldRulesSchema, getOption(field, fieldRules));
  const typeRules = rules.oneofCase(rules.desc.oneofs.find((o) => o.name === "type")!);
  // required first and "checked only when set" last read best; the rest in field number order.
  const rank = (f: DescField) => (f.name === "required" ? 0 : f === typeRules ? 1 : f.name === "ignore" ? 3 : 2);
  return [...rules.sortedFields]
    .sort((a, b) => rank(a) - rank(b))
    .flatMap((f) => {
      if (f !== typeRules) return ruleItems(rules, [f]);
      const own = rules.get(f) as ReflectMessage;
      return [...ruleItems(own, undefined, field.enum), ...predefinedRuleItems(field, own)];
    })
    .join("; ");
}

/** messageRuleTexts renders a message's own rules and its oneofs' rules. */
function messageRuleTexts(message: DescMessage): string[] {
  const texts = hasOption(message, messageRules) ? ruleItems(reflect(MessageRulesSchema, getOption(message, messageRules))) : [];
  for (const oneof of message.oneofs) {
    if (hasOption(oneof, oneofRules)) texts.push(`${code(oneof.name)}: ${ruleItems(reflect(OneofRulesSchema, getOption(oneof, oneofRules))).join(", ")}`);
  }
  return texts;
}

// ---- Sections -------------------------------------------------------------------------------------

/** accessText renders an RPC's access rule for the service tables. */
/** restText names the REST paths an RPC is also served on, from its `google.api.http` annotation. */
function restText(method: DescMethod): string {
  const routes = restRoutes([method.parent]).filter((route) => route.method === method);
  return routes.map((route) => ` · REST ${code(`${route.httpMethod} ${route.template}`)}`).join("");
}

function accessText(method: DescMethod): string {
  const rule = accessRuleOf(method);
  if (!rule) throw new Error(`${method.parent.typeName}/${method.name} declares no access rule`);
  const jsonField = (name: string) => {
    const f = method.input.fields.find((x) => x.name === name);
    if (!f) throw new Error(`${method.parent.typeName}/${method.name}: no request field ${name}`);
    return code(f.jsonName);
  };
  switch (rule.access.case) {
    case "public":
      return "public";
    case "self":
      return rule.otherUserPermission ? `self; another user: ${code(rule.otherUserPermission)}` : "self";
    case "permission":
      return rule.organizationField
        ? `${code(rule.access.value)} in the organization ${jsonField(rule.organizationField)}, or platform-wide`
        : code(rule.access.value);
    default:
      throw new Error(`${method.parent.typeName}/${method.name} declares an empty access rule`);
  }
}

/**
 * rolesAndPermissions renders which role grants which permission, for every permission an RPC
 * declares: the platform roles (anywhere) and the organization roles (within their organization,
 * where the RPC's rule names one). It reads the grants from src/features/authorization, so the table
 * is what the authorizer does.
 */
function rolesAndPermissions(services: readonly DescService[]): string[] {
  const byPermission = new Map<string, DescMethod[]>();
  for (const method of services.flatMap((s) => s.methods)) {
    const rule = accessRuleOf(method);
    const permissions = [rule?.access.case === "permission" ? rule.access.value : "", rule?.otherUserPermission ?? ""].filter(Boolean);
    for (const permission of permissions) byPermission.set(permission, [...(byPermission.get(permission) ?? []), method]);
  }
  const mark = (granted: boolean) => (granted ? "✓" : "");
  const rows = [...byPermission.keys()].sort().map((permission) => [
    code(permission),
    ...PLATFORM_ROLES.map((role) => mark(hasPlatformPermission([role], permission))),
    ...ORGANIZATION_ROLES.map((role) => mark(hasOrganizationPermission(role, permission))),
    byPermission.get(permission)!.map((m) => `[${m.name}](#${slug(`${m.parent.name}.${m.name}`)})`).join(", "),
  ]);
  return [
    "### Roles and permissions",
    "",
    "Platform roles (granted with `user-service grant-role`) hold their permissions anywhere; organization",
    "roles hold theirs only within their own organization, and only for RPCs whose rule names the",
    "organization. Every signed-in user may make the *self* calls.",
    "",
    ...table(["Permission", ...PLATFORM_ROLES.map((r) => `platform ${r}`), ...ORGANIZATION_ROLES.map((r) => `organization ${r}`), "RPCs"], rows),
    "",
  ];
}

/** messageSection renders a message: heading, comment, fields and rules. */
function messageSection(message: DescMessage, level: string): string[] {
  const out = [`${level} ${localName(message)}`, "", ...prose(commentOf(message)).flatMap((p) => [p, ""])];
  if (message.fields.length === 0) out.push("No fields.", "");
  else {
    const rows = message.fields.map((f) => [code(f.jsonName), fieldType(f), inline(commentOf(f)), fieldRuleText(f)]);
    out.push(...table(["Field", "Type", "Description", "Rules"], rows), "");
  }
  const rules = messageRuleTexts(message);
  if (rules.length > 0) out.push("Rules on the whole message:", "", ...rules.map((r) => `- ${r}`), "");
  return out;
}

/** enumSection renders an enum: heading, comment and values. */
function enumSection(desc: DescEnum): string[] {
  const rows = desc.values.map((v) => [code(v.name), String(v.number), inline(commentOf(v, true))]);
  return [`### ${localName(desc)}`, "", ...prose(commentOf(desc)).flatMap((p) => [p, ""]), ...table(["Value", "Number", "Description"], rows), ""];
}

/** renderApiReference renders the whole reference. */
function renderApiReference(registry: Registry, implemented: ReadonlySet<string>): string {
  const services = API_SERVICES.map((s) => {
    const desc = registry.getService(s.typeName);
    if (!desc) throw new Error(`${s.typeName} is not in proto/`);
    return desc;
  });
  const declared = [...registry].filter((d): d is DescService => d.kind === "service" && d.typeName.startsWith(`${PACKAGE}.`));
  const unrouted = declared.filter((d) => !services.includes(d)).map((d) => d.typeName);
  if (unrouted.length > 0) throw new Error(`services missing from API_SERVICES in src/rpc/router.ts: ${unrouted.join(", ")}`);

  const rpcName = (m: DescMethod) => `${m.parent.typeName}/${m.name}`;
  const known = new Set(services.flatMap((s) => s.methods.map(rpcName)));
  const stray = [...implemented].filter((name) => !known.has(name));
  if (stray.length > 0) throw new Error(`implemented RPCs missing from proto: ${stray.join(", ")}`);

  // Request and response messages are shown with their RPC; every other message and enum they use,
  // directly or through other messages, gets a section of its own, in the order first met.
  const shownWithRpc = new Set(services.flatMap((s) => s.methods.flatMap((m) => [m.input, m.output])));
  const messages: DescMessage[] = [];
  const enums: DescEnum[] = [];
  const wellKnown = new Set<string>();
  const seen = new Set<DescMessage | DescEnum>();
  const visit = (desc: DescMessage | DescEnum) => {
    if (seen.has(desc)) return;
    seen.add(desc);
    if (!isOurs(desc)) wellKnown.add(desc.typeName);
    else if (desc.kind === "enum") enums.push(desc);
    else {
      if (!shownWithRpc.has(desc)) messages.push(desc);
      referencedTypes(desc).forEach(visit);
    }
  };
  for (const s of services) for (const m of s.methods) [m.input, m.output].forEach(visit);

  const rpcCount = services.reduce((n, s) => n + s.methods.length, 0);
  const out: string[] = [
    "# API reference",
    "",
    "<!-- Generated from proto/ by scripts/print-api-reference.ts (npm run generate). Do not edit by hand. -->",
    "",
    `The contract of the user service: package ${code(PACKAGE)}, ${services.length} services and ${rpcCount} RPCs, generated from`,
    "[`proto/platform/user/v1/`](../proto/platform/user/v1/). The proto files are the source of truth; this page",
    "shows their comments, access rules and validation rules.",
    "",
    "Every RPC is served over Connect, gRPC and gRPC-Web on the same port, at `/<package>.<Service>/<Rpc>`,",
    "such as `POST /platform.user.v1.AuthService/Login`. In JSON (the Connect protocol's default), fields",
    "have the lowerCamelCase names listed here, enums are written as their value names, 64-bit integers",
    "as strings, and fields left at their default may be omitted. RPCs that are not public need the",
    "header `authorization: Bearer <accessToken>`, with an access token from Register, Login or",
    "RefreshToken.",
    "",
    "## Contents",
    "",
    "- [Access rules](#access-rules)",
    "  - [Roles and permissions](#roles-and-permissions)",
    "- [Errors](#errors)",
    "- [Services](#services)",
    ...services.map((s) => `  - [${s.name}](#${slug(s.name)})`),
    "- [Messages](#messages)",
    "- [Enums](#enums)",
    "- [Well-known types](#well-known-types)",
    "",
    "## Access rules",
    "",
    "Each RPC declares who may call it, as the method option `(platform.user.v1.rule)`; the server refuses",
    "an RPC that declares none. The Access column of the service tables reads:",
    "",
    "- **public**: anyone, without credentials.",
    "- **self**: any signed-in caller, about their own account. *self; another user: `p`* means the request",
    "  may name another user in `userId`, which needs the platform permission `p`.",
    "- **`p`**: the caller must hold permission `p` through a platform role (admins hold every",
    "  permission). *`p` in the organization `f`, or platform-wide* means that a role in the organization",
    "  whose id is in request field `f` grants it too.",
    "",
    ...rolesAndPermissions(services),
    "## Errors",
    "",
    "Errors use the standard Connect and gRPC status codes. Expected failures also carry a stable,",
    "machine-readable reason, such as `invalid_credentials` or `email_taken`, in the error metadata",
    "`x-error-reason` (a response header or trailer, depending on the protocol); clients may switch on",
    "it. The message is safe to show but is not meant to be parsed.",
    "",
    ...table(["Code", "Meaning"], ERROR_CODES.map(([c, meaning]) => [code(c), meaning])),
    "",
    "## Services",
    "",
  ];

  for (const service of services) {
    out.push(`### ${service.name}`, "", ...prose(commentOf(service)).flatMap((p) => [p, ""]));
    const rows = service.methods.map((m) => [
      `[${m.name}](#${slug(`${service.name}.${m.name}`)})`,
      `${typeLink(m.input)} → ${m.methodKind === "server_streaming" ? "stream " : ""}${typeLink(m.output)}`,
      accessText(m),
      implemented.has(rpcName(m)) ? "yes" : "no (`UNIMPLEMENTED`)",
    ]);
    out.push(...table(["RPC", "Request → Response", "Access", "Implemented"], rows), "");
    for (const method of service.methods) {
      if (method.methodKind !== "unary" && method.methodKind !== "server_streaming") throw new Error(`${rpcName(method)} streams requests; the reference shows unary and server-streaming RPCs only`);
      const status = implemented.has(rpcName(method)) ? "implemented" : "not implemented yet";
      out.push(
        `#### ${service.name}.${method.name}`,
        "",
        `${code(`POST /${rpcName(method)}`)}${restText(method)}${method.methodKind === "server_streaming" ? " · streams its responses" : ""} · access: ${accessText(method)} · ${status}`,
        "",
        ...prose(commentOf(method)).flatMap((p) => [p, ""]),
        ...messageSection(method.input, "#####"),
        ...messageSection(method.output, "#####"),
      );
    }
  }

  out.push("## Messages", "", "Messages the requests and responses above use.", "");
  for (const message of messages) out.push(...messageSection(message, "###"));
  out.push("## Enums", "");
  for (const desc of enums) out.push(...enumSection(desc));
  out.push("## Well-known types", "", "Types from `google.protobuf` the contract uses, and how they look in JSON.", "");
  out.push(...table(["Type", "JSON"], [...wellKnown].sort().map((t) => [code(t), WELL_KNOWN_JSON[t] ?? fail(`${t} has no JSON description`)])), "");

  const headings = out.filter((l) => /^#{2,5} /.test(l)).map((l) => slug(l.replace(/^#+ /, "")));
  const duplicates = headings.filter((h, i) => headings.indexOf(h) !== i);
  if (duplicates.length > 0) throw new Error(`headings with the same anchor: ${duplicates.join(", ")}`);
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}

function fail(message: string): never {
  throw new Error(message);
}

process.stdout.write(renderApiReference(compileProto(), new Set(registeredRpcs())));
