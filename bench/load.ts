/** RpcFigures are one RPC's results under load. */
export interface RpcFigures {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/**
 * drive keeps `concurrency` callers busy for `seconds`, each calling its own `call` back to back,
 * and reports throughput, latency percentiles and failed calls. A short warm-up is not counted.
 */
export async function drive(
  concurrency: number,
  seconds: number,
  callFor: (worker: number) => () => Promise<unknown>,
  warmupSeconds = 1,
): Promise<RpcFigures> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const start = performance.now();
  const measureFrom = start + warmupSeconds * 1000;
  const end = measureFrom + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      const call = callFor(worker);
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
  latencies.sort((a, b) => a - b);
  return {
    rps: round(latencies.length / seconds, 1),
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    errors,
  };
}
