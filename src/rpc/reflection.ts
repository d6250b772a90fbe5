import { createRegistry, toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

type ReflectionRequest = {
  host: string;
  messageRequest:
    | { case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; value: string }
    | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined };
};

const NOT_FOUND = 5;

/** withDependencies lists a file and, transitively, every file it imports, each once. */
function withDependencies(file: DescFile, into = new Set<DescFile>()): Set<DescFile> {
  if (!into.has(file)) {
    into.add(file);
    for (const dep of file.dependencies) withDependencies(dep, into);
  }
  return into;
}

/**
 * registerReflection serves gRPC server reflection (v1 and v1alpha, which share one shape) for the
 * given services and itself, so grpcurl and `buf curl` work without .proto files.
 */
export function registerReflection(router: ConnectRouter, served: DescService[]): void {
  // Reflection describes itself too, as grpcurl and buf curl expect of a server.
  const services = [...served, ReflectionV1, ReflectionV1alpha];
  const files = new Set<DescFile>();
  for (const service of services) withDependencies(service.file, files);
  const registry = createRegistry(...files);
  const byName = new Map([...files].map((f) => [f.proto.name, f]));

  const fileResponse = (file: DescFile | undefined) =>
    file
      ? {
          case: "fileDescriptorResponse" as const,
          value: { fileDescriptorProto: [...withDependencies(file)].map((f) => toBinary(FileDescriptorProtoSchema, f.proto)) },
        }
      : { case: "errorResponse" as const, value: { errorCode: NOT_FOUND, errorMessage: "not found" } };

  const answer = (req: ReflectionRequest) => {
    const query = req.messageRequest;
    switch (query.case) {
      case "listServices":
        return { case: "listServicesResponse" as const, value: { service: services.map((s) => ({ name: s.typeName })) } };
      case "fileByFilename":
        return fileResponse(byName.get(query.value));
      case "fileContainingSymbol": {
        // A method's symbol is "<service>.<method>"; its file is its service's.
        const symbol = registry.get(query.value) ?? registry.get(query.value.slice(0, query.value.lastIndexOf(".")));
        return fileResponse(symbol?.kind === "service" || symbol?.kind === "message" || symbol?.kind === "enum" || symbol?.kind === "extension" ? symbol.file : undefined);
      }
      case "fileContainingExtension": {
        const extendee = registry.getMessage(query.value.containingType);
        return fileResponse(extendee ? registry.getExtensionFor(extendee, query.value.extensionNumber)?.file : undefined);
      }
      case "allExtensionNumbersOfType": {
        const numbers = [...registry].filter((d) => d.kind === "extension" && d.extendee.typeName === query.value).map((d) => (d.kind === "extension" ? d.number : 0));
        return { case: "allExtensionNumbersResponse" as const, value: { baseTypeName: query.value, extensionNumber: numbers } };
      }
      default:
        return { case: "errorResponse" as const, value: { errorCode: 3, errorMessage: "unsupported reflection request" } };
    }
  };

  async function* serverReflectionInfo(requests: AsyncIterable<ReflectionRequest>) {
    for await (const req of requests) {
      yield { validHost: req.host, originalRequest: req, messageResponse: answer(req) };
    }
  }
  router.service(ReflectionV1, { serverReflectionInfo });
  router.service(ReflectionV1alpha, { serverReflectionInfo });
}
