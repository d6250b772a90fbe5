/** RequestOrigin is where a call came from: recorded with sessions and audit rows. */
export interface RequestOrigin {
  ipAddress?: string | undefined;
  userAgent?: string | undefined;
}
