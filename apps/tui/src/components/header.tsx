// @jsxRuntime automatic (tsx run from the repo root does not read the jsx setting of this package's tsconfig)
import type { HierarchySnapshot, ObjectType } from '@events/core';
import { Box } from 'ink';
import { formatClock, TYPE_LABEL } from '../state/format.js';
import type { LinkStatus } from '../state/link-status.js';
import { VIEW_MODES, VIEW_TITLES, type ViewMode } from '../state/view-modes.js';
import { KIND_STYLES, type StateKind, styleOfState } from '../state/state-style.js';
import { columnsOf } from '../state/text-width.js';
import { fitSegments, Line, type Segment } from './line.js';

const TONE_COLOR: Readonly<Record<LinkStatus['tone'], string>> = {
  ok: 'green',
  busy: 'cyan',
  warn: 'yellow',
  error: 'red',
  idle: 'gray',
};

const COUNTED: readonly ObjectType[] = ['stack', 'service', 'container', 'nodecluster', 'node'];
const KIND_ORDER: readonly StateKind[] = ['ok', 'partial', 'busy', 'idle', 'fault', 'gone', 'unknown'];

/** Per type: its total and how many are in each kind of state (the header's second line). */
export function countsByKind(snapshot: HierarchySnapshot, type: ObjectType): { readonly total: number; readonly kinds: readonly [StateKind, number][] } {
  const byState = snapshot.countsByState(type) as Readonly<Record<string, number>>;
  const kinds = new Map<StateKind, number>();
  let total = 0;
  for (const [state, n] of Object.entries(byState)) {
    if (n === 0) continue;
    total += n;
    const kind = styleOfState(state).kind;
    kinds.set(kind, (kinds.get(kind) ?? 0) + n);
  }
  return { total, kinds: KIND_ORDER.filter((kind) => kinds.has(kind)).map((kind) => [kind, kinds.get(kind) as number]) };
}

export interface HeaderProps {
  readonly title: string;
  readonly width: number;
  readonly snapshot: HierarchySnapshot;
  readonly link: LinkStatus;
  readonly view: ViewMode;
  readonly sort: string;
  readonly filter: string;
  readonly filtering: boolean;
  readonly matches: number;
  readonly paused: boolean;
  readonly held: number;
  readonly utc: boolean;
  /** Which rows the tree shows, e.g. `rows 1-25 of 120`. */
  readonly position: string;
  /** The views that can show anything under `--type`; the others' tabs are dimmed. Default: all. */
  readonly views?: readonly ViewMode[];
}

const widthOf = (segments: readonly Segment[]) => segments.reduce((n, segment) => n + columnsOf(segment.text), 0);

/**
 * The second line: each type's total and how many are in each kind of state. When it does not
 * fit (at 80 columns the nodes were cut off), the healthy counts (●) go first: they are the
 * total less the others, and the rest still names every type.
 */
export function countsLine(snapshot: HierarchySnapshot, width: number): Segment[] {
  const line = (healthy: boolean): Segment[] => {
    const counts: Segment[] = [];
    COUNTED.forEach((type, i) => {
      const { total, kinds } = countsByKind(snapshot, type);
      counts.push({ text: i === 0 ? ' ' : ' · ' }, { text: `${TYPE_LABEL[type]}s `, dim: true }, { text: String(total), bold: true });
      for (const [kind, n] of kinds) if (healthy || kind !== 'ok') counts.push({ text: ` ${KIND_STYLES[kind].glyph}${n}`, color: KIND_STYLES[kind].color });
    });
    return counts;
  };
  const full = line(true);
  return widthOf(full) <= width ? full : line(false);
}

type TabsProps = Pick<HeaderProps, 'view' | 'views' | 'sort' | 'filter' | 'filtering' | 'matches' | 'position'>;

/** The end of `text` in at most `budget` columns, `…` first when its start is lost: a long filter keeps what was typed last. */
function keepEnd(text: string, budget: number): string {
  if (columnsOf(text) <= budget) return text;
  const points = [...text];
  let out = '';
  let used = 1;
  for (let i = points.length - 1; i >= 0; i--) {
    const next = columnsOf(points[i] as string);
    if (used + next > budget) break;
    out = points[i] + out;
    used += next;
  }
  return `…${out}`;
}

/**
 * The third line: the view tabs, the sort, the filter and which rows show. When it does not fit,
 * it says less in this order, rather than lose its end (at 60 columns the filter being typed was
 * cut to `/po…`): the other views' tabs keep only their keys (the active one keeps its title),
 * the rows go, the sort goes, the filter's label and the word "matches" go; a filter still too
 * long keeps its end, the text just typed.
 *
 * @example
 * tabsLine({ view: 'stacks', sort: 'name', filter: 'postgres', filtering: true, matches: 4, position: 'rows 1-5 of 9' }, 60)
 * // segments that read '  1 Stacks   2   3   sort name  filter /postgres▏ 4 matches' (the rows left out)
 */
export function tabsLine(props: TabsProps, width: number): Segment[] {
  const tabs = (compact: boolean): Segment[] =>
    VIEW_MODES.flatMap((view, i) => {
      const active = view === props.view;
      const empty = props.views !== undefined && !props.views.includes(view);
      const text = compact && !active ? ` ${i + 1} ` : ` ${i + 1} ${VIEW_TITLES[view]} `;
      return [{ text: ' ' }, { text, inverse: active, bold: active, ...(empty && !active ? { dim: true } : {}) }];
    });
  const sort: Segment[] = [{ text: '  sort ', dim: true }, { text: props.sort }];
  const position: Segment[] = props.position === '' ? [] : [{ text: `  ${props.position}`, dim: true }];
  const hasFilter = props.filter !== '' || props.filtering;
  const cursor = props.filtering ? '▏' : '';
  const filter = (short: boolean, budget = Number.POSITIVE_INFINITY): Segment[] => {
    if (!hasFilter) return [];
    const count = short ? ` ${props.matches}` : ` ${props.matches} match${props.matches === 1 ? '' : 'es'}`;
    const label = short ? '  ' : '  filter ';
    const room = budget - columnsOf(label) - columnsOf(count) - columnsOf(cursor) - 1;
    return [
      { text: label, dim: true },
      { text: `/${keepEnd(props.filter, Math.max(1, room))}${cursor}`, color: 'cyan', bold: true },
      { text: count, dim: true },
    ];
  };
  const candidates: Segment[][] = [
    [...tabs(false), ...sort, ...filter(false), ...position],
    [...tabs(true), ...sort, ...filter(false), ...position],
    [...tabs(true), ...sort, ...filter(false)],
    ...(hasFilter ? [[...tabs(true), ...filter(false)], [...tabs(true), ...filter(true)]] : []),
  ];
  for (const candidate of candidates) if (widthOf(candidate) <= width) return candidate;
  const compact = tabs(true);
  return hasFilter ? [...compact, ...filter(true, width - widthOf(compact))] : candidates[candidates.length - 1] ?? [];
}

/** Three lines: title and connection; counts by type and state; views, sort and filter. */
export function Header(props: HeaderProps) {
  const { link, width } = props;
  const asOf = link.asOf !== null ? ` · data as of ${formatClock(link.asOf, props.utc)}` : '';
  // The connection never gives way: the title does. When the connection and the pause marker
  // alone are too wide (a reconnect's reason at 80 columns), the marker says less, then the
  // link's text is cut at its end (the reason, after the countdown), never "as of" its time.
  const room = width - 1;
  let paused = props.paused ? ` ‖ PAUSED · ${props.held} event${props.held === 1 ? '' : 's'} held back (p resumes) ` : '';
  if (paused !== '' && columnsOf(paused) + 1 + columnsOf(`${link.glyph} ${link.text}${asOf}`) > room) paused = ` ‖ PAUSED · ${props.held} held `;
  const pausedWidth = paused === '' ? 0 : columnsOf(paused) + 1;
  const textRoom = room - pausedWidth - columnsOf(`${link.glyph} ${asOf}`);
  const text = columnsOf(link.text) <= textRoom ? link.text : fitSegments([{ text: link.text }], Math.max(1, textRoom)).map((segment) => segment.text).join('');
  const linkText = `${link.glyph} ${text}${asOf}`;
  const right: Segment[] = [];
  if (paused !== '') right.push({ text: paused, inverse: true, bold: true, color: 'yellow' }, { text: ' ' });
  right.push({ text: linkText, color: TONE_COLOR[link.tone], bold: link.tone !== 'ok' });
  const rightWidth = widthOf(right);
  const left = fitSegments([{ text: ` events │ ${props.title}`, bold: true }], Math.max(0, width - rightWidth - 1), true);

  const counts = countsLine(props.snapshot, width);

  const tabs = tabsLine(props, width);

  return (
    <Box flexDirection="column" height={3} width={width}>
      <Line segments={[...left, { text: ' ' }, ...right]} width={width} />
      <Line segments={counts} width={width} />
      <Line segments={tabs} width={width} />
    </Box>
  );
}
