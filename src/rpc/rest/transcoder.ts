import { ScalarType, type DescField, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import type { ContextValues } from "@connectrpc/connect";
import { universalRequestFromNodeRequest } from "@connectrpc/connect-node";
import { readAllBytes, type UniversalHandler } from "@connectrpc/connect/protocol";
import type { Logger } from "pino";
import type { NodeRequest, NodeResponse } from "../node-handler.js";
import type { RestRoute } from "./http-rules.js";
import { fieldNamed, fullEnumName, protoJsonFromRest, restFromProtoJson, UnknownEnumSpelling, type Json, type JsonObject } from "./rest-json.js";

/** RestTranscoderOptions are the routes to serve and the RPC handlers they call. */
export interface RestTranscoderOptions {
  routes: readonly RestRoute[];
  /** The router's handlers by their RPC path, such as /platform.user.v1.ProfileService/GetProfile. */
  handlers: ReadonlyMap<string, UniversalHandler>;
  /** The context values an RPC call is given, as for a call in any other protocol. */
  contextValues: (req: NodeRequest) => ContextValues;
  readMaxBytes: number;
  log: Logger;
}

/** A request the transcoder refuses before any RPC runs: bad JSON, an unknown query parameter. */
class RestRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly header: Record<string, string> = {},
  ) {
    super(message);
  }
}

const invalid = (message: string) => new RestRequestError(400, "invalid_argument", message);

// Request headers that describe the REST body; the RPC is handed a parsed JSON message instead, and
// answers uncompressed so the answer can be rewritten.
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "accept-encoding", "connect-accept-encoding", "connect-content-encoding", "transfer-encoding"];
// Response headers of the RPC's own envelope, replaced by the REST answer's.
const ENVELOPE_HEADERS = new Set(["content-type", "content-length", "content-encoding"]);

const rpcPath = (method: DescMethod) => `/${method.parent.typeName}/${method.name}`;

interface Match {
  route: RestRoute;
  path: Map<DescField, string>;
}

/** The REST routes by segment count, literal-first so /users/sessions wins over /users/{user_id}. */
function indexRoutes(routes: readonly RestRoute[]): Map<number, RestRoute[]> {
  const index = new Map<number, RestRoute[]>();
  const variables = (route: RestRoute) => route.segments.filter((segment) => "field" in segment).length;
  for (const route of [...routes].sort((a, b) => variables(a) - variables(b))) {
    const bucket = index.get(route.segments.length) ?? [];
    bucket.push(route);
    index.set(route.segments.length, bucket);
  }
  return index;
}

function matchPath(route: RestRoute, parts: readonly string[]): Map<DescField, string> | undefined {
  const bound = new Map<DescField, string>();
  for (const [i, segment] of route.segments.entries()) {
    const part = parts[i]!;
    if ("literal" in segment) {
      if (segment.literal !== part) return undefined;
    } else {
      if (part === "") return undefined;
      bound.set(segment.field, part);
    }
  }
  return bound;
}

function decodeSegment(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw invalid(`path segment ${part} is not valid percent-encoding`);
  }
}

/** A path or query value as ProtoJSON: the strings of the URL become the JSON types the field takes. */
function scalarFromText(field: DescField, text: string): Json {
  if (field.fieldKind === "enum" || (field.fieldKind === "list" && field.listKind === "enum")) return fullEnumName(field, field.enum!, text);
  const scalar = field.fieldKind === "scalar" || (field.fieldKind === "list" && field.listKind === "scalar") ? field.scalar : undefined;
  switch (scalar) {
    case ScalarType.BOOL:
      return text === "true" ? true : text === "false" ? false : text;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
    case ScalarType.FLOAT:
    case ScalarType.DOUBLE:
      // A text that is no number stays a string, for the JSON parser to refuse with the field named.
      return text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text;
    default:
      return text;
  }
}

// Well-known types whose JSON form is a string: a timestamp in the query is its RFC 3339 text.
const TEXTUAL_WELL_KNOWN = new Set(["google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"]);
const isTextualWellKnown = (field: DescField) => field.fieldKind === "message" && TEXTUAL_WELL_KNOWN.has(field.message.typeName);

/** Sets a query parameter (a field's name, or a dotted path into nested messages) on the request JSON. */
function setQueryParameter(message: DescMessage, target: JsonObject, key: string, text: string, bound: ReadonlySet<DescField>): void {
  const names = key.split(".");
  let schema = message;
  let object = target;
  for (const [i, name] of names.entries()) {
    const field = fieldNamed(schema, name);
    if (!field || bound.has(field)) throw invalid(`query parameter ${key}: no such field`);
    if (i < names.length - 1) {
      if (field.fieldKind !== "message" || isTextualWellKnown(field)) throw invalid(`query parameter ${key}: ${name} is not a message`);
      schema = field.message;
      const next = object[field.name];
      object = next !== null && typeof next === "object" && !Array.isArray(next) ? next : (object[field.name] = {});
      continue;
    }
    if (field.fieldKind === "list" && field.listKind !== "message") {
      const list = object[field.name];
      object[field.name] = [...(Array.isArray(list) ? list : []), scalarFromText(field, text)];
    } else if (field.fieldKind === "scalar" || field.fieldKind === "enum" || isTextualWellKnown(field)) {
      if (field.name in object) throw invalid(`query parameter ${key}: given twice`);
      object[field.name] = field.fieldKind === "message" ? text : scalarFromText(field, text);
    } else {
      throw invalid(`query parameter ${key}: a ${field.fieldKind} field cannot be given in the query`);
    }
  }
}

const utf8 = new TextDecoder();

/** Reads a request body of at most readMaxBytes; undefined when there is none. */
function readBody(req: NodeRequest, readMaxBytes: number): Promise<Json | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > readMaxBytes) {
        req.removeAllListeners("data");
        reject(new RestRequestError(413, "resource_exhausted", `request body larger than ${readMaxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", reject);
    req.on("end", () => {
      const text = utf8.decode(Buffer.concat(chunks));
      if (text.trim() === "") return resolve(undefined);
      try {
        resolve(JSON.parse(text) as Json);
      } catch {
        reject(invalid("request body is not valid JSON"));
      }
    });
  });
}

// A request without a body says so: HTTP/2 ends the stream with its headers, HTTP/1.1 gives no
// length. Reading its empty stream anyway would cost a turn of the event loop per call for nothing.
function hasNoBody(req: NodeRequest): boolean {
  if ("stream" in req) return req.stream.endAfterHeaders;
  const length = req.headers["content-length"];
  return length === "0" || (length === undefined && req.headers["transfer-encoding"] === undefined);
}

/** The ProtoJSON request message of a REST call: its body, then its path and query parameters. */
async function requestJson(req: NodeRequest, match: Match, query: URLSearchParams, readMaxBytes: number): Promise<JsonObject> {
  const { route } = match;
  const input = route.method.input;
  const contentType = req.headers["content-type"];
  if (contentType !== undefined && !/^application\/json\s*(;.*)?$/i.test(contentType)) {
    throw new RestRequestError(415, "invalid_argument", "content-type: unsupported; use application/json");
  }
  if (req.headers["content-encoding"] !== undefined && req.headers["content-encoding"] !== "identity") {
    throw new RestRequestError(415, "invalid_argument", "content-encoding: unsupported; send the body uncompressed");
  }
  const body = hasNoBody(req) ? undefined : await readBody(req, readMaxBytes);
  let json: JsonObject = {};
  if (route.body === "*") {
    if (body !== undefined && (body === null || typeof body !== "object" || Array.isArray(body))) throw invalid("request body must be a JSON object");
    json = (protoJsonFromRest(input, body ?? {}) as JsonObject) ?? {};
  } else if (route.body !== undefined) {
    if (body !== undefined) json = protoJsonFromRest(input, { [route.body]: body }) as JsonObject;
  } else if (body !== undefined) {
    throw invalid(`${route.httpMethod} ${route.template} takes no request body`);
  }
  const bound = new Set(match.path.keys());
  for (const [key, text] of query) {
    if (route.body === "*") throw invalid(`query parameter ${key}: the request body carries every field`);
    setQueryParameter(input, json, key, text, bound);
  }
  for (const [field, part] of match.path) {
    if (field.name in json || field.jsonName in json) throw invalid(`${field.name}: given in the path and the body`);
    json[field.name] = scalarFromText(field, decodeSegment(part));
  }
  return json;
}

function send(res: NodeResponse, status: number, body: Json, header: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...header, "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), "cache-control": "no-store" });
  res.end(text);
}

/** Reads the RPC's Connect unary answer and writes it as the REST answer. */
async function answer(res: NodeResponse, route: RestRoute, status: number, header: Headers | undefined, body: AsyncIterable<Uint8Array> | undefined): Promise<void> {
  const passedOn: Record<string, string> = {};
  header?.forEach((value, name) => {
    if (!ENVELOPE_HEADERS.has(name)) passedOn[name] = value;
  });
  const bytes = body ? await readAllBytes(body, Number.MAX_SAFE_INTEGER) : new Uint8Array();
  const json = bytes.byteLength > 0 ? (JSON.parse(utf8.decode(bytes)) as Json) : {};
  if (status === 200) {
    send(res, 200, restFromProtoJson(route.method.output, json), passedOn);
    return;
  }
  // A Connect error: {code, message, details}. The REST answer keeps the code and the message.
  const error = (json ?? {}) as JsonObject;
  send(res, status, { code: error.code ?? "unknown", message: error.message ?? "" }, passedOn);
}

/**
 * createRestTranscoder serves the REST routes the protos declare with `google.api.http`. A REST
 * call becomes a Connect JSON call of its RPC, handed to the same handler with the same
 * interceptors (authentication, authorization, validation, limits, activity, audit), and its answer
 * is rewritten to the REST form: proto field names, short enum spellings, errors as `{code,
 * message}` with the HTTP status of the code. Returns false for a request no route matches.
 */
export function createRestTranscoder(options: RestTranscoderOptions): (req: NodeRequest, res: NodeResponse) => boolean {
  const index = indexRoutes(options.routes);
  // A route whose RPC the router does not serve is a wiring mistake: refused at start-up, not per call.
  for (const { method } of options.routes) {
    if (!options.handlers.has(rpcPath(method))) throw new Error(`no handler for the REST route of ${rpcPath(method)}`);
  }
  return (req, res) => {
    const url = req.url ?? "/";
    const queryStart = url.indexOf("?");
    const pathname = queryStart < 0 ? url : url.slice(0, queryStart);
    const parts = pathname.slice(1).split("/");
    let match: Match | undefined;
    const allowed: string[] = [];
    for (const route of index.get(parts.length) ?? []) {
      const path = matchPath(route, parts);
      if (!path) continue;
      if (route.httpMethod === req.method) {
        match = { route, path };
        break;
      }
      allowed.push(route.httpMethod);
    }
    if (!match) {
      if (allowed.length === 0) return false;
      send(res, 405, { code: "unimplemented", message: `${req.method} is not served on ${pathname}; use ${allowed.join(" or ")}` }, { allow: allowed.join(", ") });
      return true;
    }
    void serve(options, req, res, match, new URLSearchParams(queryStart < 0 ? "" : url.slice(queryStart + 1)));
    return true;
  };
}

async function serve(options: RestTranscoderOptions, req: NodeRequest, res: NodeResponse, match: Match, query: URLSearchParams): Promise<void> {
  const { method } = match.route;
  const handler = options.handlers.get(rpcPath(method))!;
  try {
    const json = await requestJson(req, match, query, options.readMaxBytes);
    const universal = universalRequestFromNodeRequest(req, res, json, options.contextValues(req));
    for (const name of BODY_HEADERS) universal.header.delete(name);
    universal.header.set("content-type", "application/json");
    const rpc = await handler({ ...universal, method: "POST" });
    await answer(res, match.route, rpc.status, rpc.header, rpc.body);
  } catch (error) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof UnknownEnumSpelling) {
      send(res, 400, { code: "invalid_argument", message: error.message });
      return;
    }
    if (error instanceof RestRequestError) {
      send(res, error.status, { code: error.code, message: error.message }, error.header);
      return;
    }
    options.log.error({ err: error, rpc: `${method.parent.typeName}/${method.name}` }, "REST call failed");
    send(res, 500, { code: "internal", message: "internal error" });
  }
}
