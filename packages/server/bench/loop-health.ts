// Event-loop delay and GC pauses of the current process over a run: they tell a latency tail
// caused by the code (GC, long synchronous work) from one caused by the machine (descheduling).
import { type IntervalHistogram, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { LoopHealth } from './ipc.js';

/**
 * Starts watching; the returned function stops and reports.
 *
 * @example
 * const stop = watchLoopHealth();
 * // ... the run ...
 * const { delayMaxMs, gcMaxMs } = stop();
 */
export function watchLoopHealth(): () => LoopHealth {
  const delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let gcPauses = 0;
  let gcMaxMs = 0;
  let gcTotalMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcPauses++;
      gcMaxMs = Math.max(gcMaxMs, entry.duration);
      gcTotalMs += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    delay.disable();
    observer.disconnect();
    return { delayP99Ms: delay.percentile(99) / 1e6, delayMaxMs: delay.max / 1e6, gcPauses, gcMaxMs, gcTotalMs };
  };
}
