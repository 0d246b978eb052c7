// @jsxRuntime automatic (tsx run from the repo root does not read the jsx setting of this package's tsconfig)
import { type HierarchySnapshot, type ObjectOperation, OPERATIONS_OF_TYPE, typeOfUri } from '@events/core';
import { Box } from 'ink';
import { memo } from 'react';
import { describeUri } from '../event-format.js';
import type { FetchedFields } from '../fields-cache.js';
import { failureReason, type FieldsLookup, formatAge, formatClock, parseDate, stateSince, TYPE_LABEL } from '../state/format.js';
import { countsOf, formatCounts, type Row } from '../state/rows.js';
import type { ViewMode } from '../state/view-modes.js';
import { styleOfState } from '../state/state-style.js';
import { Line, type Segment } from './line.js';

/** One line of the detail pane: text, and how to draw it. */
export interface DetailLine {
  readonly text: string;
  readonly kind: 'title' | 'section' | 'text' | 'dim' | 'error';
  /** A state glyph drawn before the text, in its colour. */
  readonly state?: string;
}

const OPERATION_KEYS: Readonly<Record<ObjectOperation, string>> = {
  start: 's start',
  stop: 'S stop',
  redeploy: 'r redeploy',
  scale: '+ - = scale',
  terminate: 'T terminate',
};

const OPERATION_ORDER: readonly ObjectOperation[] = ['start', 'stop', 'redeploy', 'scale', 'terminate'];

// Shown elsewhere in the pane, or noise.
const SKIPPED_FIELDS = new Set(['uuid', 'resource_uri', 'name', 'state']);

/** A URI of one of the six object types (a region or node type URI is shown as it is). */
const isObjectUri = (value: unknown): value is string => typeof value === 'string' && value.startsWith('/api/') && typeOfUri(value) !== undefined;

function formatValue(value: unknown, snapshot: HierarchySnapshot, fields: FieldsLookup | undefined): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return isObjectUri(value) ? describeUri(value, snapshot, fields) : value;
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every(isObjectUri)) return `${value.length} (${value.slice(0, 3).map((v) => describeUri(v, snapshot, fields)).join(', ')}${value.length > 3 ? ', …' : ''})`;
    return JSON.stringify(value);
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * What the Fields heading says of where the fields come from: ` (GET 09:01:33)`, ` (listed
 * 09:01:30)` (a replay's recording held the object only in a list), ` (fetching…)`, or why there
 * is nothing to fetch (` (not in the recording)`: a replay asks no server, so that is no failure).
 */
function fieldsNote(fetched: FetchedFields | undefined, utc: boolean): string {
  if (fetched === undefined) return '';
  switch (fetched.status) {
    case 'pending':
      return ' (fetching…)';
    case 'ok':
      return ` (${fetched.listed === true ? 'listed' : 'GET'} ${formatClock(fetched.at, utc)})`;
    case 'error':
      return ''; // said on its own line, in red
    case 'unavailable':
      return ` (${fetched.reason})`;
    default: {
      const unknown: never = fetched;
      return String(unknown);
    }
  }
}

export interface DetailOptions {
  readonly snapshot: HierarchySnapshot;
  readonly row: Row | undefined;
  readonly fetched: FetchedFields | undefined;
  readonly now: number;
  readonly utc: boolean;
  readonly view: ViewMode;
  readonly target: number | undefined;
  /** REST fields fetched later (names of actions and objects known only from events). */
  readonly fields?: FieldsLookup;
  /** Why no operation can run (a replay): said in place of the operation keys. */
  readonly readOnly?: string;
}

/**
 * The detail pane's lines for the selected object, most important first (the pane shows as many
 * as fit): name, state and age, id and URI, parents, the operations and their keys, its actions,
 * its recent events, then its REST fields (fetched with GET of its URI, else as listed).
 */
export function detailLines(options: DetailOptions): DetailLine[] {
  const { row, snapshot, now, utc } = options;
  if (row === undefined) return [{ text: 'nothing selected', kind: 'dim' }];
  const object = row.object;
  const lines: DetailLine[] = [];
  lines.push({ text: `${TYPE_LABEL[object.type].toUpperCase()} ${row.name}`, kind: 'title' });
  const since = stateSince(object);
  const counts = formatCounts(countsOf(snapshot, object, options.view, options.target));
  lines.push({
    text: ` ${object.state}${since === null ? '' : ` for ${formatAge(now - since)}`}${counts === '' ? '' : ` · ${counts} ${object.type === 'nodecluster' ? 'deployed' : 'running'}`}`,
    kind: 'text',
    state: object.state,
  });
  lines.push({ text: object.resource_uri, kind: 'dim' });
  if (object.parents.length > 0) lines.push({ text: `in ${object.parents.map((uri) => describeUri(uri, snapshot, options.fields)).join(' ')}`, kind: 'text' });
  const operations = OPERATIONS_OF_TYPE[object.type];
  lines.push({
    text:
      options.readOnly ??
      (operations.length === 0 ? `no operations on a ${TYPE_LABEL[object.type]}` : OPERATION_ORDER.filter((op) => operations.includes(op)).map((op) => OPERATION_KEYS[op]).join(' · ')),
    kind: 'dim',
  });

  const actions = snapshot.actionsOf(object.resource_uri);
  if (actions.length > 0) {
    lines.push({ text: `Actions (${actions.length})`, kind: 'section' });
    for (const action of actions.slice(0, 3)) {
      const fields = (action.fields as Readonly<Record<string, unknown>> | null) ?? options.fields?.(action.resource_uri);
      const name = typeof fields?.action === 'string' ? fields.action : `action ${action.uuid.slice(0, 8)}`;
      const at = stateSince(action);
      lines.push({ text: ` ${name} ${action.state}${at === null ? '' : ` · ${formatAge(now - at)} ago`}`, kind: 'text', state: action.state });
    }
  }

  const events = snapshot.recentEvents(object.resource_uri);
  if (events.length > 0) {
    lines.push({ text: 'Recent events', kind: 'section' });
    for (const event of events.slice(0, 5)) {
      const ms = parseDate(event.datetime);
      lines.push({ text: ` ${Number.isNaN(ms) ? event.datetime : formatClock(ms, utc)} ${event.action} ${event.state}`, kind: 'text', state: event.state });
    }
  }

  const fetched = options.fetched;
  const fields = fetched?.status === 'ok' ? fetched.fields : (object.fields as Readonly<Record<string, unknown>> | null);
  lines.push({ text: `Fields${fieldsNote(fetched, utc)}`, kind: 'section' });
  if (fetched?.status === 'error') lines.push({ text: ` GET failed: ${failureReason(fetched.message, object.resource_uri)}`, kind: 'error' });
  if (fields === null) {
    if (fetched?.status !== 'error') lines.push({ text: ' known only from events so far', kind: 'dim' });
  } else {
    for (const [key, value] of Object.entries(fields)) {
      if (SKIPPED_FIELDS.has(key)) continue;
      lines.push({ text: ` ${key}: ${formatValue(value, snapshot, options.fields)}`, kind: 'text' });
    }
  }
  return lines;
}

export interface DetailPaneProps extends DetailOptions {
  readonly width: number;
  readonly height: number;
  readonly stale: boolean;
  /** Draw a rule on the left (the pane sits right of the tree). */
  readonly ruleLeft: boolean;
}

const KIND_SEGMENT: Readonly<Record<DetailLine['kind'], Omit<Segment, 'text'>>> = {
  title: { bold: true },
  section: { bold: true, underline: true },
  text: {},
  dim: { dim: true },
  error: { color: 'red', bold: true },
};

/** The selected object in detail. */
export const DetailPane = memo(function DetailPane(props: DetailPaneProps) {
  const inner = Math.max(1, props.width - (props.ruleLeft ? 2 : 1));
  const lines = detailLines(props).slice(0, props.height);
  return (
    <Box
      flexDirection="column"
      width={props.width}
      height={props.height}
      borderStyle="single"
      borderTop={false}
      borderBottom={false}
      borderRight={false}
      borderLeft={props.ruleLeft}
      borderDimColor
      paddingLeft={props.ruleLeft ? 1 : 0}
    >
      {lines.map((line, i) => {
        const style = line.state === undefined ? undefined : styleOfState(line.state);
        const segments: Segment[] = style === undefined ? [] : [{ text: style.glyph, color: style.color }];
        segments.push({ text: line.text, ...KIND_SEGMENT[line.kind] });
        // biome-ignore lint/suspicious/noArrayIndexKey: lines have no identity beyond their place
        return <Line key={i} segments={segments} width={inner} dim={props.stale} />;
      })}
    </Box>
  );
});
