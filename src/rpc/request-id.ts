import { randomUUID } from "node:crypto";

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * requestIdFrom is a call's request id: the caller's x-request-id when it is well-formed (so a
 * call can be traced across services), else a new one.
 */
export function requestIdFrom(given: string | string[] | null | undefined): string {
  return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
}
