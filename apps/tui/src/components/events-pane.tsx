// @jsxRuntime automatic (tsx run from the repo root does not read the jsx setting of this package's tsconfig)
import type { HierarchySnapshot } from '@events/core';
import { Box } from 'ink';
import { memo } from 'react';
import { describeUri, nameOf } from '../event-format.js';
import type { LoggedEvent } from '../event-log.js';
import { type FieldsLookup, fit, formatClock, parseDate, TYPE_LABEL } from '../state/format.js';
import { isFaultState, styleOfState } from '../state/state-style.js';
import { columnsOf } from '../state/text-width.js';
import { Line } from './line.js';

// What the filter searches in a line, for lines logged with both their names: nothing in it can
// change after that, and a filter typed over a full log looks at every line on every frame.
const searchTexts = new WeakMap<LoggedEvent, string>();

/** The text of a line the filter searches, lower-cased: its object and first parent as the line names them, its state and URI. */
function searchTextOf(entry: LoggedEvent, snapshot: HierarchySnapshot, fields: FieldsLookup | undefined): string {
  let text = searchTexts.get(entry);
  if (text !== undefined) return text;
  const { event } = entry;
  const parent = event.parents[0];
  text = `${describeUri(event.resource_uri, snapshot, fields, entry.name)} ${event.state} ${event.resource_uri}${parent === undefined ? '' : ` ${describeUri(parent, snapshot, fields, entry.parentName)}`}`.toLowerCase();
  if (entry.name !== null && (parent === undefined || entry.parentName !== null)) searchTexts.set(entry, text);
  return text;
}

/**
 * The events the pane lists: newest first, only faults when asked, only those matching the
 * filter text (in the object's name, type, state or id, or the name of the parent the line
 * shows), at most `limit`. Names are those the log kept for each line, so a deleted object's
 * lines still match its name.
 */
export function visibleEvents(
  events: readonly LoggedEvent[],
  options: { readonly faultsOnly: boolean; readonly filter: string; readonly limit: number; readonly snapshot: HierarchySnapshot; readonly fields?: FieldsLookup },
): LoggedEvent[] {
  const filter = options.filter.trim().toLowerCase();
  const out: LoggedEvent[] = [];
  for (const entry of events) {
    if (out.length >= options.limit) break;
    const { event } = entry;
    if (options.faultsOnly && !isFaultState(event.state)) continue;
    if (filter !== '' && !searchTextOf(entry, options.snapshot, options.fields).includes(filter)) continue;
    out.push(entry);
  }
  return out;
}

export interface EventsPaneProps {
  /** The events to list (see visibleEvents), newest first. */
  readonly events: readonly LoggedEvent[];
  readonly total: number;
  readonly snapshot: HierarchySnapshot;
  readonly faultsOnly: boolean;
  readonly filter: string;
  readonly width: number;
  /** Lines, the title included. */
  readonly height: number;
  readonly utc: boolean;
  readonly stale: boolean;
  readonly fields?: FieldsLookup;
  /** Why no event can come any more (the replay finished, the connection stopped); null while events may still come. */
  readonly ended?: string | null;
}

/** Below this width a line leaves out the type and action columns. */
const NARROW_WIDTH = 60;

/**
 * The latest events: time, state glyph, object, old → new state, its first parent. Each line
 * shows the names its event was logged with (LoggedEvent): only lines logged without one look
 * the name up now, so a delete does not turn the object's history into ids.
 */
export const EventsPane = memo(function EventsPane(props: EventsPaneProps) {
  const scope = [props.faultsOnly ? 'faults only' : '', props.filter.trim() !== '' ? `matching /${props.filter.trim()}` : ''].filter((s) => s !== '').join(', ');
  const title = `─ Events${scope === '' ? '' : ` (${scope})`} · ${props.total} seen · f ${props.faultsOnly ? 'all' : 'faults'} `;
  const narrow = props.width < NARROW_WIDTH;
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Box flexDirection="row" width={props.width} height={1}>
        <Line segments={[{ text: title }]} width={Math.min(title.length, props.width)} dim />
        {/* The rest of the rule is a border: Ink measures every text on every frame, and a long run of `─` is a slow one to measure. */}
        <Box flexGrow={1} height={1} borderStyle="single" borderTop borderBottom={false} borderLeft={false} borderRight={false} borderDimColor />
      </Box>
      {props.events.length === 0 ? (
        <Line segments={[{ text: props.total > 0 ? '  none match' : props.ended ? `  no events: ${props.ended}` : '  waiting for events…' }]} width={props.width} dim />
      ) : (
        props.events.map(({ event, previous, name: loggedName, parentName }, slot) => {
          const style = styleOfState(event.state);
          const ms = parseDate(event.datetime);
          const time = Number.isNaN(ms) ? event.datetime : formatClock(ms, props.utc);
          const name = nameOf(event.resource_uri, loggedName, props.snapshot, props.fields);
          const parent = event.parents[0] === undefined ? '' : `  ${describeUri(event.parents[0], props.snapshot, props.fields, parentName)}`;
          // A narrow pane (an 80-column terminal gives it 40) keeps the name and the change:
          // the type and an `update` are what it can best do without.
          const kind = narrow ? ` ${event.action === 'update' ? '' : `${event.action} `}` : ` ${fit(TYPE_LABEL[event.type], 9)} ${fit(event.action, 6)} `;
          let change = previous !== null && previous !== event.state ? `${previous} → ${event.state}` : event.state;
          // Cut, `Deployed → Unreachable` would read `Deployed…`, the state the object left: the new one goes first.
          if (change !== event.state && columnsOf(` ${time} `) + 1 + columnsOf(kind) + columnsOf(name) + 1 + columnsOf(change) > props.width) change = `→ ${event.state}`;
          return (
            <Line
              // biome-ignore lint/suspicious/noArrayIndexKey: a line is a slot of the pane; at 1,000 events/s every slot gets a new event each frame, and updating a slot is cheaper for Ink than a new line
              key={slot}
              width={props.width}
              dim={props.stale}
              segments={[
                { text: ` ${time} ` },
                { text: style.glyph, color: style.color },
                { text: kind },
                { text: name, bold: true },
                { text: ` ${change}` },
                { text: parent, dim: true },
              ]}
            />
          );
        })
      )}
    </Box>
  );
});
