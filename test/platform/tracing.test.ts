import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { context, createContextKey, propagation, ROOT_CONTEXT } from "@opentelemetry/api";
import protobuf from "protobufjs";
import { AuditService } from "../../gen/platform/user/v1/audit_service_pb.js";
import { AuthService } from "../../gen/platform/user/v1/auth_service_pb.js";
import { ProfileService } from "../../gen/platform/user/v1/profile_service_pb.js";
import { tracer } from "../../src/platform/tracer.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { deliverableEmail, JOB_SETUP_TIMEOUT_MS, JOB_SETUPS, SCREENING_ENV } from "../support/compliance.js";
import { eventually } from "../support/eventually.js";
import { GOOD_PASSWORD, profileClient, registerWithRole, type RegisteredUser } from "../support/factories.js";

/**
 * OTLP_TRACES is the part of OpenTelemetry's OTLP protos (collector/trace/v1, trace/v1, common/v1,
 * resource/v1) this test reads, with their field numbers; protobufjs skips the fields left out.
 */
const OTLP_TRACES = protobuf.Root.fromJSON({
  nested: {
    ExportTraceServiceRequest: { fields: { resourceSpans: { rule: "repeated", type: "ResourceSpans", id: 1 } } },
    ResourceSpans: { fields: { resource: { type: "Resource", id: 1 }, scopeSpans: { rule: "repeated", type: "ScopeSpans", id: 2 } } },
    Resource: { fields: { attributes: { rule: "repeated", type: "KeyValue", id: 1 } } },
    ScopeSpans: { fields: { spans: { rule: "repeated", type: "Span", id: 2 } } },
    Span: {
      fields: {
        traceId: { type: "bytes", id: 1 },
        spanId: { type: "bytes", id: 2 },
        parentSpanId: { type: "bytes", id: 4 },
        name: { type: "string", id: 5 },
        kind: { type: "int32", id: 6 },
        startTimeUnixNano: { type: "fixed64", id: 7 },
        endTimeUnixNano: { type: "fixed64", id: 8 },
        attributes: { rule: "repeated", type: "KeyValue", id: 9 },
        status: { type: "Status", id: 15 },
      },
    },
    Status: { fields: { message: { type: "string", id: 2 }, code: { type: "int32", id: 3 } } },
    KeyValue: { fields: { key: { type: "string", id: 1 }, value: { type: "AnyValue", id: 2 } } },
    AnyValue: {
      fields: {
        stringValue: { type: "string", id: 1 },
        boolValue: { type: "bool", id: 2 },
        intValue: { type: "int64", id: 3 },
        doubleValue: { type: "double", id: 4 },
      },
    },
  },
}).lookupType("ExportTraceServiceRequest");

/**
 * CLOCK_SKEW_NS is how far apart two spans' clocks may be: a span's start is the wall clock's
 * millisecond and its end that plus a precise duration, so spans begun in different milliseconds
 * are up to a millisecond out of step.
 */
const CLOCK_SKEW_NS = 1_000_000n;

/** OTLP's span kinds and status codes. */
const KIND = { server: 2, client: 3, producer: 4, consumer: 5 };
const STATUS = { unset: 0, error: 2 };

type Attributes = Record<string, string | number | boolean>;

/** ReceivedSpan is one span as the collector received it, with its resource's attributes. */
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  start: bigint;
  end: bigint;
  attributes: Attributes;
  status: { code: number; message: string };
  resource: Attributes;
}

interface DecodedKeyValue {
  key: string;
  value?: { stringValue?: string; boolValue?: boolean; intValue?: string; doubleValue?: number };
}

const attributesOf = (list: DecodedKeyValue[] = []): Attributes =>
  Object.fromEntries(list.map(({ key, value = {} }) => [key, value.stringValue ?? value.boolValue ?? (value.intValue !== undefined ? Number(value.intValue) : value.doubleValue!)]));

/** decode reads the spans of one ExportTraceServiceRequest. */
function decode(body: Buffer): ReceivedSpan[] {
  const request = OTLP_TRACES.toObject(OTLP_TRACES.decode(body), { longs: String, bytes: Buffer, arrays: true }) as {
    resourceSpans: Array<{ resource?: { attributes: DecodedKeyValue[] }; scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }>;
  };
  const hex = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString("hex");
  return request.resourceSpans.flatMap(({ resource, scopeSpans }) =>
    scopeSpans.flatMap(({ spans }) =>
      spans.map((span) => ({
        traceId: hex(span.traceId),
        spanId: hex(span.spanId),
        parentSpanId: span.parentSpanId ? hex(span.parentSpanId) : "",
        name: span.name as string,
        kind: (span.kind as number | undefined) ?? 0,
        start: BigInt(span.startTimeUnixNano as string),
        end: BigInt(span.endTimeUnixNano as string),
        attributes: attributesOf(span.attributes as DecodedKeyValue[]),
        status: { code: 0, message: "", ...(span.status as object | undefined) },
        resource: attributesOf(resource?.attributes),
      })),
    ),
  );
}

/** Collector is a stand-in OTLP/HTTP endpoint that keeps what it is sent. */
interface Collector {
  url: string;
  /** The body of every POST to /v1/traces, uncompressed. */
  bodies: Buffer[];
  /** Requests to anything else. */
  strays: string[];
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

async function startCollector(): Promise<Collector> {
  const bodies: Buffer[] = [];
  const strays: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.method === "POST" && req.url === "/v1/traces" && req.headers["content-type"] === "application/x-protobuf") {
        bodies.push(req.headers["content-encoding"] === "gzip" ? zlib.gunzipSync(body) : body);
      } else {
        strays.push(`${req.method} ${req.url} ${req.headers["content-type"]}`);
      }
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    strays,
    spans: () => bodies.flatMap(decode),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const { version } = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

/** The trace and parent span a caller sends in its traceparent. */
const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";

describe.each(JOB_SETUPS)("tracing, %s", (_, setup) => {
  let collector: Collector;
  let t: TestApp | undefined;
  let officer: RegisteredUser;
  let user: { email: string; userId: string; accessToken: string; refreshToken: string };
  let storedTraceContext: string | null;
  let propagatedFields: string[];
  let spans: ReceivedSpan[];

  // Everything is done against the running service first; the spans are complete once it has
  // stopped, which sends the last of them.
  beforeAll(async () => {
    collector = await startCollector();
    t = await startTestApp({ ...setup, env: { ...SCREENING_ENV, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } });
    propagatedFields = propagation.fields();
    officer = await registerWithRole(t, "compliance_officer");

    const email = deliverableEmail("traced");
    const registered = await createClient(AuthService, t.transport()).register(
      { email, password: GOOD_PASSWORD, fullName: "Margaret Okonkwo-Hale" },
      { headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` } },
    );
    user = { email, userId: registered.userId, accessToken: registered.accessToken, refreshToken: registered.refreshToken };
    // Read outside any call, so the wait itself leaves no spans.
    const app = t;
    await eventually(
      () => app.db.selectFrom("users").select("verification_status").where("id", "=", user.userId).executeTakeFirstOrThrow(),
      (row) => row.verification_status !== "pending",
      20_000,
      "the verification job",
    );
    const row = await t.db.selectFrom("outbox").select("trace_context").where("queue", "=", "identity-verification").where("payload", "@>", JSON.stringify({ userId: user.userId }) as never).executeTakeFirstOrThrow();
    storedTraceContext = row.trace_context;

    const authorization = { authorization: `Bearer ${user.accessToken}` };
    await createClient(ProfileService, createGrpcTransport({ baseUrl: t.baseUrl })).getProfile({}, { headers: authorization });
    await expect(profileClient(t, "not.a.token").getProfile({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    const exported = createClient(AuditService, t.transport({ token: officer.accessToken })).exportAuditTrail({
      createdAfter: timestampFromDate(new Date(Date.now() - 3_600_000)),
      createdBefore: timestampFromDate(new Date(Date.now() + 60_000)),
      reason: "tracing check",
    });
    for await (const batch of exported) expect(batch).toBeDefined();

    await t.close();
    t = undefined;
    spans = collector.spans();
  }, JOB_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
    await collector?.close();
  });

  const named = (name: string, traceId?: string) => {
    const found = spans.filter((span) => span.name === name && (traceId === undefined || span.traceId === traceId));
    expect(found.map((span) => span.name)).toEqual([name]);
    return found[0]!;
  };
  const queries = () => spans.filter((span) => span.attributes["db.system.name"] === "postgresql");
  const childrenOf = (parent: ReceivedSpan) => spans.filter((span) => span.parentSpanId === parent.spanId && span.traceId === parent.traceId);

  it("sends OTLP/HTTP protobuf to the endpoint's /v1/traces, as service.name and service.version, with W3C trace context", () => {
    expect(collector.strays).toEqual([]);
    expect(collector.bodies.length).toBeGreaterThan(0);
    expect(propagatedFields).toEqual(["traceparent", "tracestate"]);
    expect(spans[0]!.resource).toMatchObject({ "service.name": "user-service", "service.version": version });
  });

  it("gives a call a server span named after its method, continuing the caller's trace", () => {
    const register = named("platform.user.v1.AuthService/Register", CALLER_TRACE);
    expect(register).toMatchObject({
      kind: KIND.server,
      parentSpanId: CALLER_SPAN,
      attributes: { "rpc.system": "connect_rpc", "rpc.service": "platform.user.v1.AuthService", "rpc.method": "Register" },
      status: { code: STATUS.unset },
    });
    // A sign-up has no caller yet: no user id.
    expect(register.attributes["user.id"]).toBeUndefined();
  });

  it("traces a call's queries as its children, with the statement and never the values bound to it", () => {
    const register = named("platform.user.v1.AuthService/Register", CALLER_TRACE);
    const own = childrenOf(register).filter((span) => span.attributes["db.system.name"] === "postgresql");
    expect(own.map((span) => span.name)).toEqual(expect.arrayContaining(["BEGIN", "INSERT users", "COMMIT"]));
    const insert = own.find((span) => span.name === "INSERT users")!;
    expect(insert).toMatchObject({ kind: KIND.client, attributes: { "db.operation.name": "INSERT", "db.collection.name": "users" } });
    expect(insert.attributes["db.query.text"]).toMatch(/^insert into "users" .*\$1/);
    for (const query of queries()) {
      const step = ["BEGIN", "COMMIT", "ROLLBACK"].includes(query.name);
      expect(query.attributes).toMatchObject({ "db.operation.name": expect.any(String), ...(!step && { "db.query.text": expect.any(String) }) });
    }

    // Nothing a caller sent or was given is in any span, nor anywhere in what was sent.
    const secrets = [user.email, GOOD_PASSWORD, user.accessToken, user.refreshToken, officer.accessToken];
    const sent = Buffer.concat(collector.bodies);
    for (const secret of secrets) expect(sent.includes(secret)).toBe(false);
  });

  it("runs the job a call queued as a child of that call's span, through the outbox and BullMQ alike", () => {
    expect(JSON.parse(storedTraceContext!)).toEqual({ traceparent: expect.stringMatching(new RegExp(`^00-${CALLER_TRACE}-[0-9a-f]{16}-01$`)) });
    const register = named("platform.user.v1.AuthService/Register", CALLER_TRACE);
    const queued = named("create identity-verification/verify-identity", CALLER_TRACE);
    expect(queued).toMatchObject({ kind: KIND.producer, parentSpanId: register.spanId, attributes: { "messaging.destination.name": "identity-verification" } });
    expect(childrenOf(queued).filter((span) => span.kind === KIND.client).map((span) => span.name)).toEqual(["INSERT outbox"]);

    const run = named("process identity-verification/verify-identity", CALLER_TRACE);
    expect(run).toMatchObject({
      kind: KIND.consumer,
      parentSpanId: queued.spanId,
      attributes: {
        "messaging.system": setup.embedded ? "outbox" : "bullmq",
        "messaging.operation.type": "process",
        "messaging.destination.name": "identity-verification",
        "messaging.message.id": queued.attributes["messaging.message.id"]!,
        "job.name": "verify-identity",
        "job.attempt": 1,
        "job.outcome": "completed",
      },
      status: { code: STATUS.unset },
    });
    expect(childrenOf(run).filter((span) => span.attributes["db.system.name"] === "postgresql").length).toBeGreaterThan(0);
  });

  it("records the protocol, the code and the caller's user id, and no server error for a caller's mistake", () => {
    const profiles = spans.filter((span) => span.name === "platform.user.v1.ProfileService/GetProfile");
    const overGrpc = profiles.find((span) => span.attributes["rpc.system"] === "grpc");
    expect(overGrpc).toMatchObject({ kind: KIND.server, attributes: { "rpc.grpc.status_code": 0, "user.id": user.userId, "rpc.method": "GetProfile" } });
    const refused = profiles.find((span) => span.attributes["rpc.connect_rpc.error_code"] === "unauthenticated");
    expect(refused).toMatchObject({ attributes: { "rpc.system": "connect_rpc" }, status: { code: STATUS.unset } });
    expect(refused!.attributes["user.id"]).toBeUndefined();
  });

  it("keeps a streamed call's span open until its stream ends, with the queries made while streaming inside it", () => {
    const exported = named("platform.user.v1.AuditService/ExportAuditTrail");
    expect(exported.attributes).toMatchObject({ "user.id": officer.userId, "rpc.system": "connect_rpc" });
    // The entries are read as the stream is, after the handler has handed it over.
    const own = childrenOf(exported).filter((span) => span.attributes["db.system.name"] === "postgresql");
    expect(own.map((span) => span.name)).toContain("SELECT audit_trail");
    const lastQueryEnd = own.reduce((latest, span) => (span.end > latest ? span.end : latest), 0n);
    expect(exported.end + CLOCK_SKEW_NS >= lastQueryEnd).toBe(true);
  });

  it("traces queries only within a call or job: polling the outbox is in no trace, not even a call's that woke it", () => {
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    for (const query of queries()) {
      const parent = byId.get(query.parentSpanId);
      expect({ query: query.name, parent: parent?.name }).toEqual({ query: query.name, parent: expect.any(String) });
      expect({ query: query.name, startsBeforeParentEnds: query.start <= parent!.end + CLOCK_SKEW_NS }).toEqual({ query: query.name, startsBeforeParentEnds: true });
    }
  });

  it("unregisters everything when the service stops", () => {
    expect(propagation.fields()).toEqual([]);
    expect(tracer().startSpan("probe").isRecording()).toBe(false);
  });
});

describe("tracing without OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ embedded: true });
  }, JOB_SETUP_TIMEOUT_MS);
  afterAll(() => t?.close());

  it("registers nothing: no provider, propagator or context manager, and a caller's trace context goes nowhere", async () => {
    expect(tracer().startSpan("probe").isRecording()).toBe(false);
    expect(propagation.fields()).toEqual([]);
    const key = createContextKey("probe");
    expect(context.with(ROOT_CONTEXT.setValue(key, true), () => context.active().getValue(key))).toBeUndefined();

    const registered = await createClient(AuthService, t.transport()).register(
      { email: deliverableEmail("untraced"), password: GOOD_PASSWORD, fullName: "Ingrid Solberg-Achebe" },
      { headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` } },
    );
    const jobs = await t.db.selectFrom("outbox").select("trace_context").where("payload", "@>", JSON.stringify({ userId: registered.userId }) as never).execute();
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.map((job) => job.trace_context)).toEqual(jobs.map(() => null));
  });
});
