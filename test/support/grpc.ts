import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethod,
  type DescMethodServerStreaming,
  type DescMethodUnary,
  type DescService,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { credentials, makeGenericClientConstructor, Metadata, type ClientReadableStream, type ServiceError } from "@grpc/grpc-js";

/** GrpcServiceClient calls one service over real gRPC (HTTP/2) with @grpc/grpc-js. */
export interface GrpcServiceClient {
  /** unary resolves with the response or rejects with grpc-js's ServiceError (its `code` is the gRPC status). */
  unary<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, input: MessageInitShape<I>, options?: { token?: string }): Promise<MessageShape<O>>;
  serverStream<I extends DescMessage, O extends DescMessage>(method: DescMethodServerStreaming<I, O>, input: MessageInitShape<I>): ClientReadableStream<MessageShape<O>>;
  /** rawUnary sends bytes as the request message unchanged, to see how the server treats a malformed one. */
  rawUnary(method: DescMethod, payload: Uint8Array): Promise<Buffer>;
  close(): void;
}

// grpc-js wants Buffers; protobuf-es reads and writes Uint8Arrays.
const serializer = <D extends DescMessage>(desc: D) => (message: MessageShape<D>) => Buffer.from(toBinary(desc, message));
const deserializer = <D extends DescMessage>(desc: D) => (bytes: Buffer) => fromBinary(desc, bytes);
const identity = (bytes: Uint8Array) => Buffer.from(bytes);

const pathOf = (method: DescMethod) => `/${method.parent.typeName}/${method.name}`;

function metadataWith(token: string | undefined): Metadata {
  const metadata = new Metadata();
  if (token) metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

/**
 * grpcClient builds a generic grpc-js client for a protobuf-es service descriptor, so the tests speak
 * the gRPC protocol through an implementation independent of connect.
 */
export function grpcClient(address: string, service: DescService): GrpcServiceClient {
  const definition = Object.fromEntries(
    service.methods.map((method) => [
      method.localName,
      {
        path: pathOf(method),
        requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
        responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
        requestSerialize: serializer(method.input),
        requestDeserialize: deserializer(method.input),
        responseSerialize: serializer(method.output),
        responseDeserialize: deserializer(method.output),
      },
    ]),
  );
  const Client = makeGenericClientConstructor(definition, service.typeName);
  const client = new Client(address, credentials.createInsecure());
  const promised = <T>(start: (callback: (error: ServiceError | null, value?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value as T))));
  return {
    unary(method, input, options = {}) {
      const request = create(method.input, input);
      return promised((callback) => client[method.localName]!(request, metadataWith(options.token), callback));
    },
    serverStream(method, input) {
      return client[method.localName]!(create(method.input, input), new Metadata());
    },
    rawUnary(method, payload) {
      return promised((callback) => client.makeUnaryRequest(pathOf(method), identity, (bytes: Buffer) => bytes, payload, new Metadata(), callback));
    },
    close: () => client.close(),
  };
}
