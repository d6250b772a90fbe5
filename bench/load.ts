/** RpcFigures are one RPC's results under load. */
export interface RpcFigures {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

/** Samples are what one measurement saw: each counted call's latency, the failed calls and the time measured. */
interface Samples {
  latencies: number[];
  errors: number;
  seconds: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** figuresOf sums samples taken in several stretches into one RPC's figures. */
function figuresOf(stretches: Samples[]): RpcFigures {
  const latencies = stretches.flatMap((stretch) => stretch.latencies).sort((a, b) => a - b);
  const seconds = stretches.reduce((sum, stretch) => sum + stretch.seconds, 0);
  return {
    rps: round(latencies.length / seconds, 1),
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    errors: stretches.reduce((sum, stretch) => sum + stretch.errors, 0),
  };
}

/** A Caller is made once per concurrent caller (numbered from 0) and returns the call it repeats. */
export type Caller = (worker: number) => () => Promise<unknown>;

const callers = (concurrency: number, callFor: Caller) => Array.from({ length: concurrency }, (_, worker) => callFor(worker));

/**
 * measure keeps every caller busy for `seconds`, each calling its own call back to back. A short
 * warm-up is not counted.
 */
async function measure(calls: Array<() => Promise<unknown>>, seconds: number, warmupSeconds: number): Promise<Samples> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const start = performance.now();
  const measureFrom = start + warmupSeconds * 1000;
  const end = measureFrom + seconds * 1000;
  await Promise.all(
    calls.map(async (call) => {
      while (performance.now() < end) {
        const began = performance.now();
        try {
          await call();
          if (began >= measureFrom) latencies.push(performance.now() - began);
        } catch (error) {
          if (began >= measureFrom) errors++;
          firstError ??= error;
        }
      }
    }),
  );
  if (firstError) process.stderr.write(`  first error: ${String(firstError)}\n`);
  return { latencies, errors, seconds };
}

/** drive measures one call under load for `seconds` and reports throughput, latency percentiles and failed calls. */
export async function drive(concurrency: number, seconds: number, callFor: Caller, warmupSeconds = 1): Promise<RpcFigures> {
  return figuresOf([await measure(callers(concurrency, callFor), seconds, warmupSeconds)]);
}

/**
 * driveAlternately measures two calls meant to be compared, `seconds` each, in `rounds` alternating
 * stretches (a, b, a, b...), so a slow spell of a shared machine weighs on both rather than on
 * whichever ran during it. Each caller is made once and keeps its state across stretches.
 */
export async function driveAlternately(concurrency: number, seconds: number, rounds: number, a: Caller, b: Caller): Promise<[RpcFigures, RpcFigures]> {
  const [callsA, callsB] = [callers(concurrency, a), callers(concurrency, b)];
  const stretches: [Samples[], Samples[]] = [[], []];
  for (let round = 0; round < rounds; round++) {
    stretches[0].push(await measure(callsA, seconds / rounds, 1));
    stretches[1].push(await measure(callsB, seconds / rounds, 1));
  }
  return [figuresOf(stretches[0]), figuresOf(stretches[1])];
}
