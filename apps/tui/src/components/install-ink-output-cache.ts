import { EventsError } from '@events/core';
import { type AnsiTokenizer, createStyledChars } from './fast-styled-chars.js';
import { importInkDependency, importInkInternal } from './import-ink-internal.js';

/** What Ink's `Output` asks its caches (ink/build/output.js, Ink 6.8). */
export interface InkOutputCaches {
  getStyledChars(line: string): unknown;
  getStringWidth(text: string): number;
  getWidestLine(text: string): number;
}

type Transformer = (line: string, index: number) => string;

/** The operations Ink records on an Output while it walks its nodes, drawn by `get()`. */
type InkOperation =
  | { readonly type: 'write'; readonly x: number; readonly y: number; readonly text: string; readonly transformers: readonly Transformer[] }
  | { readonly type: 'clip'; readonly clip: unknown }
  | { readonly type: 'unclip' };

/** The part of Ink's `Output` this module uses. */
export interface InkOutput {
  readonly width: number;
  readonly height: number;
  readonly operations: readonly InkOperation[];
  caches: InkOutputCaches;
  write(x: number, y: number, text: string, options: { transformers: readonly Transformer[] }): void;
  get(): { output: string; height: number };
}

export interface InkOutputClass {
  new (options: { width: number; height: number }): InkOutput;
  readonly prototype: InkOutput;
}

interface Generation {
  readonly styled: Map<string, unknown>;
  readonly widths: Map<string, number>;
  readonly widest: Map<string, number>;
}

const generation = (): Generation => ({ styled: new Map(), widths: new Map(), widest: new Map() });

export interface FrameCaches extends InkOutputCaches {
  /** Starts a frame: `fresh` (the frame's own caches) works out what the last frame did not ask for. */
  nextFrame(fresh: InkOutputCaches): void;
  /** Lines held (both generations): bounded by about two frames' worth. */
  readonly size: number;
}

/**
 * Caches for Ink's Output that outlive a frame. Each frame starts a generation; what the frame
 * asks for is taken from the last generation when it was there (and carried over), else worked
 * out by the frame's own caches. What a frame does not ask for goes with the generation before,
 * so the caches hold about two screens' worth however long the view runs.
 *
 * @example
 * const caches = createFrameCaches();
 * caches.nextFrame(output.caches); // at the start of every frame
 * output.caches = caches;
 */
export function createFrameCaches(styledChars?: (line: string) => unknown): FrameCaches {
  let current = generation();
  let previous = generation();
  let fresh: InkOutputCaches | null = null;
  function lookup<V>(key: string, map: (g: Generation) => Map<string, V>, make: (caches: InkOutputCaches) => V): V {
    const now = map(current);
    let value = now.get(key);
    if (value === undefined) {
      value = map(previous).get(key);
      if (value === undefined) {
        if (fresh === null) throw new EventsError('internal', 'createFrameCaches: nextFrame() was not called');
        value = make(fresh);
      }
      now.set(key, value);
    }
    return value;
  }
  return {
    nextFrame(next) {
      previous = current;
      current = generation();
      fresh = next;
    },
    get size() {
      return current.styled.size + previous.styled.size;
    },
    getStyledChars: (line) => lookup(line, (g) => g.styled, (caches) => (styledChars === undefined ? caches.getStyledChars(line) : styledChars(line))),
    getStringWidth: (text) => lookup(text, (g) => g.widths, (caches) => caches.getStringWidth(text)),
    getWidestLine: (text) => lookup(text, (g) => g.widest, (caches) => caches.getWidestLine(text)),
  };
}

/**
 * Where each line of each write lands, with its transformers applied, exactly as
 * `Output.get()` places them: a write's lines go on consecutive rows from its `y`, lines that
 * fall outside the output are skipped. Each row is described by one string (the x and text of
 * every line placed on it, in order), which is all its text depends on. Null when the
 * operations need more than that (clipping, or a transformer that makes a newline): `get()`
 * then draws the frame itself.
 */
function rowKeysOf(output: InkOutput): string[] | null {
  if (!Number.isInteger(output.height) || output.height < 0) return null;
  const keys = new Array<string>(output.height).fill('');
  for (const operation of output.operations) {
    if (operation.type !== 'write') return null;
    const { x, y, transformers } = operation;
    const lines = operation.text.split('\n');
    let offsetY = 0;
    for (let index = 0; index < lines.length; index++) {
      const row = y + offsetY;
      // Ink indexes its rows array with y + offsetY: anything but a row it has is skipped (and so are the lines after it).
      if (!Number.isInteger(row) || row < 0 || row >= output.height) continue;
      let line = lines[index] as string;
      for (const transformer of transformers) line = transformer(line, index);
      if (line.includes('\n')) return null;
      // x is a number and the line has no newline: `x\nline\n` pairs cannot run into each other.
      keys[row] += `${x}\n${line}\n`;
      offsetY++;
    }
  }
  return keys;
}

/**
 * How many blank cells a row needs. Ink's `get` lays a row on `width` blank cells, writes each
 * line's characters one after the other from its x (the row grows if they go past the end),
 * and trims the spaces the row ends with. The cells a line is written to are there whatever the
 * width, so blanks matter only up to where the last line starts: past that, every cell is
 * written or trimmed. Drawing no wider than that gives the same text for less work (the events
 * pane's lines end halfway across the screen).
 */
function blanksNeeded(placements: readonly string[], width: number): number {
  let start = 0;
  for (let i = 0; i + 1 < placements.length; i += 2) {
    const x = Number(placements[i]);
    if (Number.isFinite(x) && x > start) start = x; // Ink puts nothing in a row at a non-finite x
  }
  return Math.min(width, Math.ceil(start));
}

/** Draws one row from its key with Ink's own `get`, on a one-row Output holding just that row's lines. */
function drawRow(Output: InkOutputClass, get: InkOutput['get'], width: number, key: string, caches: InkOutputCaches): string {
  const placements = key.split('\n');
  const one = new Output({ width: blanksNeeded(placements, width), height: 1 });
  one.caches = caches;
  for (let i = 0; i + 1 < placements.length; i += 2) one.write(Number(placements[i]), 0, placements[i + 1] as string, { transformers: NO_TRANSFORMERS });
  return get.call(one).output;
}

const NO_TRANSFORMERS: readonly Transformer[] = [];

/**
 * A `get()` for Ink's Output that gives the same text as `get`, doing the work only for rows
 * not drawn in the last frame.
 *
 * Ink's `get()` draws each row on its own: a row of blank cells, the lines placed on it in
 * order, the row serialised. So a row's text is a function of the output's width and the lines
 * placed on it (with their x); rows drawn in the last frame, on any row (the events pane scrolls
 * its lines down one at a time), are kept. A new row is drawn by Ink's own `get` on a one-row
 * Output holding just that row's lines. Tokenised lines are kept between frames too
 * (createFrameCaches), so a new row made of known lines is cheap as well.
 *
 * @example
 * Output.prototype.get = createKeptGet(Output, Output.prototype.get);
 */
export function createKeptGet(
  Output: InkOutputClass,
  get: InkOutput['get'],
  styledChars?: (line: string) => unknown,
): (this: InkOutput) => { output: string; height: number } {
  const caches = createFrameCaches(styledChars);
  let width = -1;
  let current = new Map<string, string>();
  let previous = new Map<string, string>();
  return function keptGet(this: InkOutput) {
    if (this.caches !== caches) {
      caches.nextFrame(this.caches);
      this.caches = caches;
    }
    const keys = rowKeysOf(this);
    if (keys === null) return get.call(this);
    // Rows of another width are of no use (a resize): the last frame's rows are kept only at the same width.
    previous = this.width === width ? current : new Map();
    current = new Map();
    width = this.width;
    const lines = new Array<string>(this.height);
    for (let y = 0; y < this.height; y++) {
      const key = keys[y] as string;
      let text = current.get(key) ?? previous.get(key);
      if (text === undefined) text = drawRow(Output, get, width, key, caches);
      current.set(key, text);
      lines[y] = text;
    }
    return { output: lines.join('\n'), height: this.height };
  };
}

const ORIGINAL_GET = Symbol.for('@events/tui: the get() of Ink Output before installInkOutputCache');

/**
 * Ink's Output class, as Ink itself loads it (the same module instance), or null when this Ink
 * has none of the expected shape. Ink's package exports only its entry point, so the file is
 * found beside it.
 */
export async function loadInkOutputClass(): Promise<InkOutputClass | null> {
  try {
    const module = await importInkInternal<{ default?: unknown }>('output.js');
    if (module === null) return null;
    const Output = module.default as InkOutputClass | undefined;
    if (typeof Output !== 'function' || typeof Output.prototype?.get !== 'function' || typeof Output.prototype.write !== 'function') return null;
    const probe = new Output({ width: 1, height: 1 });
    const caches = probe.caches as Partial<InkOutputCaches> | undefined;
    if (typeof caches?.getStyledChars !== 'function' || typeof caches.getStringWidth !== 'function' || typeof caches.getWidestLine !== 'function') return null;
    if (!Array.isArray(probe.operations) || probe.width !== 1 || probe.height !== 1) return null;
    return Output;
  } catch {
    return null;
  }
}

/** Ink's own `get`, also after installInkOutputCache replaced it (tests compare the two). */
export function originalGetOf(Output: InkOutputClass): InkOutput['get'] {
  const prototype = Output.prototype as InkOutput & { [ORIGINAL_GET]?: InkOutput['get'] };
  return prototype[ORIGINAL_GET] ?? prototype.get;
}

/**
 * Makes Ink redo only what changed when it turns a frame into text.
 *
 * Ink 6.8 draws every frame through a new `Output`, whose `get()` tokenises each line it was
 * given (ANSI codes, graphemes) into one styled object per character, lays them on a grid of
 * cells and serialises every row again, with caches that live for that frame only: about 2 µs
 * a character, 8–10 ms for a full 120×40 screen, although from one frame to the next most rows
 * are the same. With this, an unchanged row costs a comparison of the lines placed on it, and a
 * changed row is drawn by Ink's own code (see createKeptGet). The text Ink writes to the
 * terminal is the same either way. An Ink whose Output does not look as expected is left alone.
 *
 * Call once before `render`. Resolves to whether it is installed.
 *
 * @example
 * await installInkOutputCache();
 * render(<App ... />);
 */
export async function installInkOutputCache(): Promise<boolean> {
  const Output = await loadInkOutputClass();
  if (Output === null) return false;
  const prototype = Output.prototype as InkOutput & { [ORIGINAL_GET]?: InkOutput['get'] };
  if (prototype[ORIGINAL_GET] !== undefined) return true;
  const get = prototype.get;
  prototype[ORIGINAL_GET] = get;
  const tokenizer = await importInkDependency<AnsiTokenizer>('@alcalzone/ansi-tokenize', 'build/index.js');
  const usable = typeof tokenizer?.tokenize === 'function' && typeof tokenizer.styledCharsFromTokens === 'function';
  prototype.get = createKeptGet(Output, get, usable ? createStyledChars(tokenizer) : undefined);
  return true;
}
