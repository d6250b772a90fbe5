import type { Db, Tx } from "./database.js";

/** AfterCommit is an effect of a change outside the database: evicting a cache entry, telling replicas, waking a relay. */
export type AfterCommit = () => Promise<void>;

/** BeforeCommit is work that must be the last of its transaction: appending to the audit trail. */
export type BeforeCommit = () => Promise<void>;

const pending = new WeakMap<Tx, AfterCommit[]>();
const finishing = new WeakMap<Tx, BeforeCommit[]>();

/**
 * transaction runs work in a database transaction and, once it has committed, the effects work
 * registered with afterCommit, in the order they were registered. On rollback (work throws, or the
 * commit fails) no effect runs. Every effect runs even when an earlier one fails; the first failure
 * is then thrown, after the commit: the change is made, but the caller learns that what depends on
 * it (a cache that could serve a stale copy) may lag.
 */
export async function transaction<T>(db: Db, work: (trx: Tx) => Promise<T>): Promise<T> {
  const effects: AfterCommit[] = [];
  const result = await db.transaction().execute(async (trx) => {
    const last: BeforeCommit[] = [];
    pending.set(trx, effects);
    finishing.set(trx, last);
    const value = await work(trx);
    for (const step of last) await step();
    return value;
  });
  let failure: { error: unknown } | undefined;
  for (const effect of effects) {
    try {
      await effect();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
  return result;
}

/**
 * beforeCommit registers work to run in trx once the transaction's own work is done, just before it
 * commits, in the order registered. trx must come from transaction().
 */
export function beforeCommit(trx: Tx, step: BeforeCommit): void {
  const steps = finishing.get(trx);
  if (!steps) throw new Error("beforeCommit needs a transaction opened with transaction()");
  steps.push(step);
}

/**
 * afterCommit registers an effect to run once trx has committed, and never if it rolls back. trx
 * must come from transaction(): a transaction opened otherwise has no one to run the effect, and
 * dropping it silently would leave caches stale, so that is an error.
 */
export function afterCommit(trx: Tx, effect: AfterCommit): void {
  const effects = pending.get(trx);
  if (!effects) throw new Error("afterCommit needs a transaction opened with transaction()");
  effects.push(effect);
}
