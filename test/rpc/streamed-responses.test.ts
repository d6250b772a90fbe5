import { describe, expect, it } from "@jest/globals";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { AuditService } from "../../gen/platform/user/v1/audit_service_pb.js";
import { createLogger } from "../../src/platform/logger.js";
import { systemClock } from "../../src/platform/clock.js";
import { createActivityInterceptor, type CallRecord } from "../../src/rpc/interceptors/activity.js";
import { createErrorInterceptor } from "../../src/rpc/interceptors/errors.js";
import { DomainError } from "../../src/shared/domain-error.js";

// A streamed response fails or ends after its handler has returned the stream: the interceptors
// must see it then, not when the stream is handed over.

const request = { createdAfter: timestampFromDate(new Date(0)), createdBefore: timestampFromDate(new Date()), reason: "stream check" };

/** serve runs AuditService/ExportAuditTrail in memory behind the activity and error interceptors, as the server orders them. */
function serve(batches: (() => string[] | Promise<string[]>)[]) {
  const records: CallRecord[] = [];
  const transport = createRouterTransport(
    (router) =>
      router.service(AuditService, {
        async *exportAuditTrail() {
          for (const batch of batches) yield { lines: await batch() };
        },
      }),
    { router: { interceptors: [createActivityInterceptor({ record: (call) => records.push(call) }, systemClock), createErrorInterceptor(createLogger("silent"))] } },
  );
  return { client: createClient(AuditService, transport), records };
}

describe("streamed responses", () => {
  it("reach the client with the code of a domain failure raised mid-stream, recorded with that code", async () => {
    const failing = () => {
      throw new DomainError("failed_precondition", "export_interrupted", "the export could not go on");
    };
    const { client, records } = serve([() => ["first"], failing]);
    const received: string[] = [];

    const error = await (async () => {
      for await (const batch of client.exportAuditTrail(request)) received.push(...batch.lines);
    })().catch((e: unknown) => ConnectError.from(e));

    expect(received).toEqual(["first"]);
    expect(error).toMatchObject({ code: Code.FailedPrecondition, rawMessage: "the export could not go on" });
    expect(records.map((r) => r.statusCode)).toEqual(["FAILED_PRECONDITION"]);
  });

  it("are recorded once sent whole, not when the handler hands the stream over", async () => {
    let release = () => {};
    const held = new Promise<string[]>((resolve) => (release = () => resolve(["b"])));
    const { client, records } = serve([() => ["a"], () => held]);
    const stream = client.exportAuditTrail(request)[Symbol.asyncIterator]();

    await stream.next();
    expect(records).toEqual([]);
    release();
    while (!(await stream.next()).done);

    expect(records.map((r) => [r.method, r.statusCode])).toEqual([["AuditService/ExportAuditTrail", "OK"]]);
  });
});
