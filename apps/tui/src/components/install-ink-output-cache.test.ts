import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AnsiTokenizer, createStyledChars } from './fast-styled-chars.js';
import { importInkDependency } from './import-ink-internal.js';
import { createFrameCaches, createKeptGet, type InkOutputCaches, type InkOutputClass, installInkOutputCache, loadInkOutputClass, originalGetOf } from './install-ink-output-cache.js';

let Output: InkOutputClass;

let styledChars: (line: string) => unknown;

beforeAll(async () => {
  const loaded = await loadInkOutputClass();
  if (loaded === null) throw new Error('Ink has no Output class of the expected shape');
  Output = loaded;
  const tokenizer = await importInkDependency<AnsiTokenizer>('@alcalzone/ansi-tokenize', 'build/index.js');
  if (tokenizer === null) throw new Error("Ink's tokenizer was not found");
  styledChars = createStyledChars(tokenizer);
});

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const STYLES = [sgr(32, 39), sgr(31, 39), sgr(1, 22), sgr(2, 22), sgr(7, 27), sgr(4, 24)];

/** Text as Ink's nodes hand it to Output: ASCII runs, glyphs, wide characters, emoji, nested SGR codes, newlines. */
const piece = fc.oneof(
  fc.constantFrom('web', 'api-1', ' ', '   ', 'Running', 'Stopped', '09:01:33', '2/3', '-', '|'),
  fc.constantFrom('●', '◐', '○', '✖', '▾', '▸', '▌', '…', '→', '│', '─'),
  fc.constantFrom('漢字', '👍', 'é', 'e\u0301', '\u0301', '🇫🇷'),
  fc.constantFrom('\u001b[m', '\u001b]8;;https://example.com\u0007', '\u001b]8;;\u0007'),
  fc.constant('\n'),
);
const styled = fc.tuple(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.option(fc.constantFrom(...STYLES.keys()), { nil: undefined })).map(([pieces, style]) => {
  const text = pieces.join('');
  return style === undefined ? text : (STYLES[style] as (t: string) => string)(text);
});
const text = fc.array(styled, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(''));

type Transformer = (line: string, index: number) => string;
const TRANSFORMERS: readonly (readonly Transformer[])[] = [[], [(line) => `\u001b[2m${line}\u001b[22m`], [(line, index) => (index === 0 ? line.toUpperCase() : line), (line) => `\u001b[1m${line}\u001b[22m`]];

interface Write {
  readonly x: number;
  readonly y: number;
  readonly text: string;
  readonly transformers: number;
}
const write = fc.record({ x: fc.integer({ min: -3, max: 30 }), y: fc.integer({ min: -2, max: 9 }), text, transformers: fc.nat(TRANSFORMERS.length - 1) });

type Operation = { readonly kind: 'write'; readonly write: Write } | { readonly kind: 'clip' } | { readonly kind: 'unclip' };

function draw(get: () => unknown, operations: readonly Operation[], width: number, height: number): { output: string; height: number } {
  const output = new Output({ width, height }) as InstanceType<InkOutputClass> & { clip(clip: unknown): void; unclip(): void };
  for (const operation of operations) {
    if (operation.kind === 'clip') output.clip({ x1: 2, x2: width - 2, y1: 1, y2: height - 1 });
    else if (operation.kind === 'unclip') output.unclip();
    else output.write(operation.write.x, operation.write.y, operation.write.text, { transformers: TRANSFORMERS[operation.write.transformers] as Transformer[] });
  }
  return (get as (this: unknown) => { output: string; height: number }).call(output);
}

describe('createKeptGet', () => {
  it('gives exactly the text of Ink’s own get, frame after frame (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 0, max: 8 }),
        // A pool of writes and frames that each draw some of them: rows come back, move and change as in a live view.
        fc.array(write, { minLength: 1, maxLength: 12 }),
        fc.array(fc.array(fc.oneof({ weight: 12, arbitrary: fc.nat(11).map((i) => ({ kind: 'pick', i }) as const) }, { weight: 1, arbitrary: fc.constantFrom({ kind: 'clip' } as const, { kind: 'unclip' } as const) }), { maxLength: 10 }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.boolean(),
        (width, height, pool, frames, fast) => {
          const get = originalGetOf(Output);
          const kept = createKeptGet(Output, get, fast ? styledChars : undefined);
          for (const frame of frames) {
            const operations: Operation[] = frame.map((step) => (step.kind === 'pick' ? { kind: 'write', write: pool[step.i % pool.length] as Write } : step));
            expect(draw(kept, operations, width, height)).toEqual(draw(get, operations, width, height));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('draws every row anew after a resize', () => {
    const get = originalGetOf(Output);
    const kept = createKeptGet(Output, get);
    const operations: Operation[] = [
      { kind: 'write', write: { x: 0, y: 0, text: 'web ●\napi', transformers: 1 } },
      { kind: 'write', write: { x: 8, y: 1, text: 'a long line that gets cut', transformers: 0 } },
    ];
    for (const width of [30, 12, 12, 30]) expect(draw(kept, operations, width, 3)).toEqual(draw(get, operations, width, 3));
  });

  it('draws a row again only when what is placed on it is new', () => {
    const get = originalGetOf(Output);
    let rowsDrawn = 0;
    const counting = function (this: InstanceType<InkOutputClass>) {
      if (this.height === 1) rowsDrawn++;
      return get.call(this);
    };
    const kept = createKeptGet(Output, counting);
    const lines = (first: number) => Array.from({ length: 10 }, (_, i) => ({ kind: 'write', write: { x: 0, y: i, text: `event ${first + i} ●`, transformers: 0 } }) as const);
    draw(kept, lines(0), 40, 10);
    expect(rowsDrawn).toBe(10);
    rowsDrawn = 0;
    // A log scrolling by one: nine rows are last frame's, one row down.
    draw(kept, lines(-1), 40, 10);
    expect(rowsDrawn).toBe(1);
  });
});

describe('createFrameCaches', () => {
  it('answers from the last frame, and forgets what two frames did not ask for', () => {
    const asked: string[] = [];
    const fresh = (): InkOutputCaches => ({
      getStyledChars: (line) => {
        asked.push(line);
        return [line];
      },
      getStringWidth: (line) => line.length,
      getWidestLine: (line) => line.length,
    });
    const caches = createFrameCaches();
    for (let frame = 0; frame < 50; frame++) {
      caches.nextFrame(fresh());
      caches.getStyledChars('header');
      caches.getStyledChars(`event ${frame}`);
    }
    // 'header' was worked out once; every event line once; only the last two frames' lines are held.
    expect(asked.filter((line) => line === 'header')).toHaveLength(1);
    expect(asked).toHaveLength(51);
    expect(caches.size).toBeLessThanOrEqual(4);
  });
});

describe('installInkOutputCache', () => {
  it('replaces Ink’s get once, keeping the original at hand', async () => {
    const original = originalGetOf(Output);
    expect(await installInkOutputCache()).toBe(true);
    expect(await installInkOutputCache()).toBe(true);
    expect(Output.prototype.get).not.toBe(original);
    expect(originalGetOf(Output)).toBe(original);
    const operations: Operation[] = [{ kind: 'write', write: { x: 1, y: 0, text: '\u001b[32m●\u001b[39m web', transformers: 1 } }];
    expect(draw(Output.prototype.get, operations, 10, 2)).toEqual(draw(original, operations, 10, 2));
  });
});
