import type { DescMethod, DescMethodServerStreaming, DescMethodUnary, DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";

/**
 * callAny calls a unary or server-streaming RPC through a transport and resolves once it is done
 * (a stream read to its end), for tests that walk every RPC of the API.
 */
export async function callAny(transport: Transport, method: DescMethod, input: MessageShape<DescMessage>, timeoutMs: number): Promise<void> {
  if (method.methodKind === "unary") {
    await transport.unary(method as DescMethodUnary, undefined, timeoutMs, undefined, input);
    return;
  }
  if (method.methodKind !== "server_streaming") throw new Error(`${method.parent.typeName}/${method.name} streams requests, which no RPC of the API does`);
  async function* once() {
    yield input;
  }
  const res = await transport.stream(method as DescMethodServerStreaming, undefined, timeoutMs, undefined, once());
  for await (const message of res.message) void message;
}
