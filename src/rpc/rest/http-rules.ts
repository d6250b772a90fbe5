import { getOption, hasOption, type DescField, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { http } from "../../../gen/google/api/annotations_pb.js";
import type { HttpRule } from "../../../gen/google/api/http_pb.js";
import { fieldNamed } from "./rest-json.js";

/** PathSegment is one segment of a REST path template: a literal, or a variable bound to a request field. */
export type PathSegment = { literal: string } | { field: DescField };

/** RestRoute is a REST path bound to an RPC by its `google.api.http` annotation. */
export interface RestRoute {
  /** The HTTP method, upper case. */
  httpMethod: string;
  /** The path template as written in the annotation, such as /api/user-enhancements/users/sessions/{session_id}. */
  template: string;
  segments: PathSegment[];
  method: DescMethod;
  /**
   * Where the request body goes: "*" for the whole request message, a field's name for that field,
   * or undefined when the route takes no body (its fields come from the path and the query).
   */
  body: string | undefined;
}

function patternOf(rule: HttpRule): [string, string] {
  const { pattern } = rule;
  switch (pattern.case) {
    case "get":
    case "put":
    case "post":
    case "delete":
    case "patch":
      return [pattern.case.toUpperCase(), pattern.value];
    case "custom":
      return [pattern.value.kind.toUpperCase(), pattern.value.path];
    default:
      throw new Error("an http rule without a pattern");
  }
}

// The templates of the contract need literal segments and single-segment variables only; the rest of
// the http.proto grammar ({name=pattern}, **, :verb) is refused at start-up rather than half-served.
function parseTemplate(method: DescMethod, template: string): PathSegment[] {
  if (!template.startsWith("/")) throw new Error(`${method.parent.typeName}/${method.name}: path ${template} does not start with /`);
  return template
    .slice(1)
    .split("/")
    .map((segment) => {
      const variable = /^\{([a-z][a-z0-9_]*)\}$/.exec(segment);
      if (!variable) {
        if (!/^[\w.~-]+$/.test(segment)) throw new Error(`${method.parent.typeName}/${method.name}: unsupported path segment ${segment}`);
        return { literal: segment };
      }
      const field = fieldNamed(method.input, variable[1]!);
      if (!field || field.fieldKind !== "scalar") throw new Error(`${method.parent.typeName}/${method.name}: {${variable[1]}} names no scalar field`);
      return { field };
    });
}

function routeOf(method: DescMethod, rule: HttpRule): RestRoute {
  const [httpMethod, template] = patternOf(rule);
  const body = rule.body === "" ? undefined : rule.body;
  if (body !== undefined && body !== "*" && !fieldNamed(method.input, body)) {
    throw new Error(`${method.parent.typeName}/${method.name}: body "${body}" names no field`);
  }
  return { httpMethod, template, segments: parseTemplate(method, template), method, body };
}

/**
 * restRoutes reads the REST routes the services declare with `google.api.http`, additional
 * bindings included. A unary RPC can have routes; an annotation on a streaming RPC, or one this
 * layer cannot serve, is a mistake in the protos and throws.
 */
export function restRoutes(services: readonly DescService[]): RestRoute[] {
  const routes: RestRoute[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      if (!hasOption(method, http)) continue;
      if (method.methodKind !== "unary") throw new Error(`${service.typeName}/${method.name}: REST paths are for unary RPCs`);
      const rule = getOption(method, http);
      for (const binding of [rule, ...rule.additionalBindings]) routes.push(routeOf(method, binding));
    }
  }
  return routes;
}
