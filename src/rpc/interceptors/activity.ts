import { getOption, type DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { ActivityType } from "../../../gen/platform/user/v1/common_pb.js";
import { activity_type } from "../../../gen/platform/user/v1/options_pb.js";
import type { Clock } from "../../platform/clock.js";
import { INFRASTRUCTURE_SERVICES } from "../access-rules.js";
import { originKey, principalKey } from "../context.js";

/** CallRecord is one call as a user's activity records it. */
export interface CallRecord {
  userId: string | undefined;
  sessionId: string | undefined;
  organizationId: string | undefined;
  activityType: ActivityType;
  /** "Service/Method". */
  method: string;
  /** The gRPC status code name: "OK", "PERMISSION_DENIED"... */
  statusCode: string;
  latencyMs: number;
  ipAddress: string | undefined;
  userAgent: string | undefined;
  requestId: string | undefined;
  receivedAt: Date;
}

/** ActivitySink takes call records; record must return at once, without I/O on the request's path. */
export interface ActivitySink {
  record(call: CallRecord): void;
}

const declaredTypes = new WeakMap<DescMethod, ActivityType>();

/** declaredType is what a successful call of method is: its activity_type option, else by whether it changes anything. */
function declaredType(method: DescMethod): ActivityType {
  let type = declaredTypes.get(method);
  if (type === undefined) {
    const declared = getOption(method, activity_type);
    const byEffect = method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS ? ActivityType.API_CALL : ActivityType.FEATURE_USE;
    type = declared !== ActivityType.UNSPECIFIED ? declared : byEffect;
    declaredTypes.set(method, type);
  }
  return type;
}

/** outcomeType is what a call is recorded as, given how it ended (see the activity_type option in options.proto). */
function outcomeType(declared: ActivityType, code: Code | undefined): ActivityType {
  if (code === undefined || declared === ActivityType.LOGIN || declared === ActivityType.LOGOUT) return declared;
  return code === Code.Unauthenticated || code === Code.PermissionDenied ? ActivityType.SECURITY_EVENT : ActivityType.ERROR;
}

/** signedInBy reads the user and session a sign-up or sign-in answered with, from its tokens. */
function signedInBy(message: unknown): { userId?: string; sessionId?: string } {
  if (message === undefined) return {};
  const fields = message as { userId?: unknown; sessionId?: unknown; tokens?: unknown; result?: { value?: unknown } };
  const tokens = (fields.tokens ?? fields.result?.value ?? fields) as { userId?: unknown; sessionId?: unknown };
  return typeof tokens.userId === "string" && typeof tokens.sessionId === "string" && tokens.userId !== "" ? { userId: tokens.userId, sessionId: tokens.sessionId } : {};
}

/** organizationNamed is the organization a request names in organization_id, if any. */
function organizationNamed(message: unknown): string | undefined {
  const { organizationId } = message as { organizationId?: unknown };
  return typeof organizationId === "string" && organizationId !== "" ? organizationId : undefined;
}

/**
 * createActivityInterceptor records every API call in its caller's activity: who (the caller, or
 * the user a sign-up or sign-in answered for), what (method, activity type), how it ended (status
 * code, latency) and from where. It sits outside the authentication interceptor, so refused calls
 * are recorded too; handing the record to the sink is all it does on the request's path.
 */
export function createActivityInterceptor(sink: ActivitySink, clock: Clock): Interceptor {
  return (next) => async (req) => {
    if (INFRASTRUCTURE_SERVICES.has(req.service)) return next(req);
    const receivedAt = clock.now();
    const started = performance.now();
    const finish = (error: unknown, answer?: unknown) => {
      const code = error === undefined ? undefined : error instanceof ConnectError ? error.code : Code.Unknown;
      const caller = req.contextValues.get(principalKey);
      const subject = caller ? { userId: caller.userId, sessionId: caller.sessionId } : signedInBy(answer);
      const origin = req.contextValues.get(originKey);
      sink.record({
        userId: subject.userId,
        sessionId: subject.sessionId,
        organizationId: req.stream ? undefined : organizationNamed(req.message),
        activityType: outcomeType(declaredType(req.method), code),
        method: `${req.service.name}/${req.method.name}`,
        statusCode: code === undefined ? "OK" : codeToString(code).toUpperCase(),
        latencyMs: performance.now() - started,
        ipAddress: origin.ipAddress,
        userAgent: origin.userAgent,
        requestId: origin.requestId,
        receivedAt,
      });
    };
    let res;
    try {
      res = await next(req);
    } catch (error) {
      finish(error);
      throw error;
    }
    // A streamed response is recorded once its last message is sent, or it fails.
    if (res.stream) return { ...res, message: recordedAtEnd(res.message, finish) };
    finish(undefined, res.message);
    return res;
  };
}

/** recordedAtEnd passes a stream's messages on and records the call when it ends: sent whole, failed, or given up by the client. */
async function* recordedAtEnd<T>(messages: AsyncIterable<T>, finish: (error: unknown) => void): AsyncIterable<T> {
  let outcome: { error: unknown } = { error: new ConnectError("the client stopped reading", Code.Canceled) };
  try {
    yield* messages;
    outcome = { error: undefined };
  } catch (error) {
    outcome = { error };
    throw error;
  } finally {
    finish(outcome.error);
  }
}
