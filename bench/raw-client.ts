import http2 from "node:http2";
import { create, fromBinary, toBinary, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";

/**
 * RawConnectClient makes Connect-protocol unary calls (binary), and plain JSON calls, over one HTTP/2 session with
 * node:http2 directly: the load driver should spend as little of the shared CPU as it can, and a
 * generated client's conveniences cost more than the calls being measured.
 */
export class RawConnectClient {
  private readonly session: http2.ClientHttp2Session;

  constructor(baseUrl: string) {
    this.session = http2.connect(baseUrl);
    this.session.on("error", () => {});
  }

  async call<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    headers: Record<string, string> = {},
  ): Promise<MessageShape<O>> {
    const body = toBinary(method.input, create(method.input, input));
    const path = `/${method.parent.typeName}/${method.name}`;
    const payload = await this.request("POST", path, { "content-type": "application/proto", "connect-protocol-version": "1", ...headers }, body);
    return fromBinary(method.output, payload);
  }

  /** fetchJson makes a plain HTTP call (a REST path, or a Connect JSON call) and parses its JSON answer. */
  async fetchJson(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<unknown> {
    return JSON.parse((await this.request(method, path, headers, body)).toString("utf8")) as unknown;
  }

  private request(method: string, path: string, headers: Record<string, string>, body?: Uint8Array | string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const stream = this.session.request({ ":method": method, ":path": path, ...headers });
      const chunks: Buffer[] = [];
      let status = 0;
      stream.on("response", (h) => (status = Number(h[":status"])));
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", reject);
      stream.on("end", () => {
        const payload = Buffer.concat(chunks);
        if (status === 200) resolve(payload);
        else reject(new Error(`HTTP ${status}: ${payload.toString("utf8").slice(0, 200)}`));
      });
      stream.end(body);
    });
  }

  close(): void {
    this.session.close();
  }
}
