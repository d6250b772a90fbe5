import { ConnectError } from "@connectrpc/connect";

/** failure is the ConnectError a call rejects with; a call that succeeds, or fails otherwise, fails the test. */
export async function failure(call: Promise<unknown>): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConnectError)) throw new Error(`expected a ConnectError, got ${String(error)}`);
  return error;
}
