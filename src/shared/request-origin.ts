/** RequestOrigin is where a call came from: recorded with sessions and audit rows. */
export interface RequestOrigin {
  ipAddress?: string | undefined;
  userAgent?: string | undefined;
  /** The call's request id, for log lines that must be traced to it. */
  requestId?: string | undefined;
}
