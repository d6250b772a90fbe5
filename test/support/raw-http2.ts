import net from "node:net";

/** FrameType names the HTTP/2 frame types (RFC 9113 section 6) the tests send or look for. */
export const FrameType = { DATA: 0x0, HEADERS: 0x1, RST_STREAM: 0x3, SETTINGS: 0x4, PING: 0x6, GOAWAY: 0x7 } as const;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;

/** Frame is one HTTP/2 frame as received. */
export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

/** hpackLiteral encodes header fields as HPACK literals without indexing (no table, no Huffman). */
function hpackLiteral(fields: Array<[string, string]>): Buffer {
  const length = (n: number) => {
    if (n >= 127) throw new Error("raw-http2 encodes strings under 127 bytes only");
    return Buffer.from([n]);
  };
  return Buffer.concat(fields.flatMap(([name, value]) => [Buffer.from([0]), length(name.length), Buffer.from(name), length(value.length), Buffer.from(value)]));
}

/**
 * RawHttp2 speaks cleartext HTTP/2 frame by frame over one TCP socket, to misbehave as node's own
 * client never would: open more streams than the server allows, or leave its pings unanswered.
 * It acknowledges the server's SETTINGS only when asked to.
 */
export class RawHttp2 {
  readonly frames: Frame[] = [];
  readonly closed: Promise<void>;
  private ended = false;
  private buffered = Buffer.alloc(0);
  private waiters: Array<() => void> = [];

  private constructor(
    readonly socket: net.Socket,
    private readonly ackSettings: boolean,
  ) {
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", () => {});
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.ended = true;
        for (const wake of this.waiters.splice(0)) wake();
        resolve();
      }),
    );
  }

  /** connect opens the connection and sends the client preface with empty SETTINGS. */
  static async connect(port: number, options: { ackSettings: boolean }): Promise<RawHttp2> {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const client = new RawHttp2(socket, options.ackSettings);
    socket.write(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), frame(FrameType.SETTINGS, 0, 0)]));
    return client;
  }

  /** request opens stream `streamId` with a POST to `path`; its request side stays open unless `body` ends it. */
  request(streamId: number, path: string, extra: Array<[string, string]> = [], body?: Buffer): void {
    const fields: Array<[string, string]> = [[":method", "POST"], [":scheme", "http"], [":path", path], [":authority", "127.0.0.1"], ...extra];
    this.socket.write(frame(FrameType.HEADERS, END_HEADERS, streamId, hpackLiteral(fields)));
    if (body) this.socket.write(frame(FrameType.DATA, END_STREAM, streamId, body));
  }

  /** waitFor resolves with the first frame received, now or later, that matches; it throws once the connection is gone without one. */
  async waitFor(matches: (frame: Frame) => boolean): Promise<Frame> {
    for (;;) {
      const found = this.frames.find(matches);
      if (found) return found;
      if (this.ended) throw new Error("connection closed before the frame arrived");
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 9) {
      const length = this.buffered.readUIntBE(0, 3);
      if (this.buffered.length < 9 + length) break;
      const received: Frame = {
        type: this.buffered[3]!,
        flags: this.buffered[4]!,
        streamId: this.buffered.readUInt32BE(5) & 0x7fffffff,
        payload: this.buffered.subarray(9, 9 + length),
      };
      this.buffered = this.buffered.subarray(9 + length);
      this.frames.push(received);
      if (this.ackSettings && received.type === FrameType.SETTINGS && !(received.flags & ACK)) this.socket.write(frame(FrameType.SETTINGS, ACK, 0));
    }
    for (const wake of this.waiters.splice(0)) wake();
  }
}
