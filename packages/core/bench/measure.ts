/** Tiny benchmark helpers: warm up, then time enough iterations to smooth out a noisy machine. */
export function measureNs(fn: () => void, { minMs = 300, batch = 1000 } = {}): number {
  for (let i = 0; i < batch * 5; i++) fn();
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < batch; i++) fn();
    iterations += batch;
    elapsed = performance.now() - start;
  }
  return (elapsed * 1e6) / iterations;
}

/** Best of `runs` measurements: the least disturbed by other work on the machine. */
export function bestOfNs(runs: number, fn: () => void, options?: { minMs?: number; batch?: number }): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) best = Math.min(best, measureNs(fn, options));
  return best;
}

export const fmt = (n: number, digits = 2) => n.toFixed(digits);

export function line(label: string, value: string, target?: string): void {
  console.log(`${label.padEnd(58)} ${value}${target ? `   (${target})` : ''}`);
}
