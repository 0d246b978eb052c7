import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { boundInkTextCaches, findInkTextCaches } from './bound-ink-text-caches.js';
import { importInkInternal } from './import-ink-internal.js';

describe('findInkTextCaches', () => {
  it("finds the caches Ink fills while it lays out text, and trim empties them", async () => {
    const caches = await findInkTextCaches();
    expect(caches).not.toBeNull();
    if (caches === null) return;
    const before = caches.size;
    // What a live view does: a text that changes on every frame. Wider than the 100 columns
    // ink-testing-library gives, so Ink truncates it too (the wrap cache).
    const view = render(createElement(Text, { wrap: 'truncate' }, `line 0 ${'x'.repeat(120)}`));
    for (let i = 1; i < 200; i++) view.rerender(createElement(Text, { wrap: 'truncate' }, `line ${i} ${'x'.repeat(120)}`));
    expect(view.lastFrame()).toContain('line 199');
    view.unmount();
    const grown = caches.size;
    expect(grown - before).toBeGreaterThanOrEqual(200); // one size per text at least: the leak

    expect(caches.trim(grown + 1)).toBe(0); // under the limit: kept
    expect(caches.trim(10)).toBeGreaterThanOrEqual(200);
    expect(caches.size).toBe(0);

    // Ink still measures correctly after a trim (it measures again).
    const measureText = (await importInkInternal<{ default: (text: string) => { width: number; height: number } }>('measure-text.js'))?.default;
    expect(measureText?.('ab\ncde')).toEqual({ width: 3, height: 2 });
    const again = render(createElement(Text, null, 'after the trim'));
    expect(again.lastFrame()).toBe('after the trim');
    again.unmount();
  });

  it('leaves no trace of its probes', async () => {
    await findInkTextCaches();
    await findInkTextCaches();
    const polluted = Object.getOwnPropertyNames(Object.prototype).filter((name) => name.includes('@events/tui'));
    expect(polluted).toEqual([]);
    expect(Map.prototype.set.name).toBe('set');
  });
});

describe('boundInkTextCaches', () => {
  it('starts a timer that does not hold the process, and stops it', async () => {
    const stop = await boundInkTextCaches({ limit: 1, everyMs: 5 });
    expect(stop).toBeTypeOf('function');
    const caches = await findInkTextCaches();
    const view = render(createElement(Text, null, 'one'));
    view.rerender(createElement(Text, null, 'two'));
    view.unmount();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(caches?.size ?? 0).toBeLessThanOrEqual(2); // trimmed meanwhile
    stop?.();
  });
});
