// @jsxRuntime automatic (tsx run from the repo root does not read the jsx setting of this package's tsconfig)
import type { HierarchySnapshot } from '@events/core';
import { Box, Text } from 'ink';
import { memo } from 'react';
import { nameOf } from '../event-format.js';
import { type FieldsLookup, fit, fitRight, formatAge, parentOfType, stateSince, TYPE_LABEL } from '../state/format.js';
import { countsOf, formatCounts, type Row } from '../state/rows.js';
import type { ViewMode } from '../state/view-modes.js';
import { styleOfState } from '../state/state-style.js';
import { Line } from './line.js';

export interface TreePaneProps {
  readonly snapshot: HierarchySnapshot;
  /** Only the rows in the window: slicing happens before rendering, never in Ink. */
  readonly rows: readonly Row[];
  readonly selectedUri: string | null;
  readonly view: ViewMode;
  readonly width: number;
  /** Lines, the column header included. */
  readonly height: number;
  readonly now: number;
  readonly stale: boolean;
  readonly targetOf: (uri: string) => number | undefined;
  readonly emptyText: string;
  /** REST fields fetched later: names of parents known only from events. */
  readonly fields?: FieldsLookup;
}

interface Columns {
  readonly type: number;
  readonly state: number;
  readonly count: number;
  readonly age: number;
  /** Flat view: the stack, service and node of a container (two services of different stacks may share a name). */
  readonly stack: number;
  readonly service: number;
  readonly node: number;
}

function columnsFor(view: ViewMode, width: number): Columns {
  if (view === 'containers') {
    // The stack comes first among the parents (two services of different stacks share names),
    // then the node; on a wide pane the parents grow with it, so longer names keep their ends.
    if (width < 60) return { type: 0, state: 13, count: 0, age: 5, stack: 0, service: 10, node: 0 };
    if (width < 90) return { type: 0, state: 13, count: 0, age: 5, stack: 10, service: 11, node: 0 };
    const parent = Math.min(24, Math.max(13, Math.floor((width - 22) * 0.17)));
    return { type: 0, state: 13, count: 0, age: 5, stack: parent, service: parent + 2, node: parent };
  }
  return { type: width >= 70 ? 10 : 0, state: 16, count: 9, age: 5, stack: 0, service: 0, node: 0 };
}

/** A name column: a long name is cut one short of the width, so that a space always parts it from the next column. */
function column(text: string, width: number): string {
  return `${fit(text, width - 1)} `;
}

function parentName(snapshot: HierarchySnapshot, parents: readonly string[], type: 'stack' | 'service' | 'node', fields: FieldsLookup | undefined): string {
  const uri = parentOfType(snapshot, parents, type, fields);
  // A parent the tree does not hold (its type filtered out on the command line) is named by its fetched fields, else its id.
  return uri === undefined ? '-' : nameOf(uri, null, snapshot, fields);
}


/** The tree or list: a column header and one line per row of the window. */
export const TreePane = memo(function TreePane(props: TreePaneProps) {
  const { width, view, snapshot } = props;
  const cols = columnsFor(view, width);
  const fixed = 3 + cols.type + cols.state + cols.count + cols.age + cols.stack + cols.service + cols.node + 1;
  const nameWidth = Math.max(8, width - fixed);
  const header =
    ` ${fit('NAME', nameWidth + 1)}` +
    (cols.stack > 0 ? column('STACK', cols.stack) : '') +
    (cols.service > 0 ? column('SERVICE', cols.service) : '') +
    (cols.node > 0 ? column('NODE', cols.node) : '') +
    (cols.type > 0 ? fit('TYPE', cols.type) : '') +
    column('STATE', cols.state) +
    (cols.count > 0 ? fit('COUNT', cols.count) : '') +
    fitRight('AGE', cols.age);
  return (
    <Box flexDirection="column" width={width} height={props.height}>
      <Line segments={[{ text: header }]} width={width} bold dim />
      {props.rows.length === 0 ? (
        <Text dimColor>{`  ${props.emptyText}`.slice(0, width)}</Text>
      ) : (
        props.rows.map((row) => {
          const selected = row.uri === props.selectedUri;
          const style = styleOfState(row.object.state);
          const fold = row.expandable ? (row.expanded ? '▾ ' : '▸ ') : '  ';
          const lead = `${selected ? '▌' : ' '}${'  '.repeat(row.depth)}${fold}`;
          const since = stateSince(row.object);
          const age = since === null ? '-' : formatAge(props.now - since);
          const counts = cols.count > 0 ? formatCounts(countsOf(snapshot, row.object, view, props.targetOf(row.uri))) : '';
          const rest =
            fit(` ${row.name}`, Math.max(2, nameWidth - lead.length)) +
            ' ' +
            (cols.stack > 0 ? column(parentName(snapshot, row.object.parents, 'stack', props.fields), cols.stack) : '') +
            (cols.service > 0 ? column(parentName(snapshot, row.object.parents, 'service', props.fields), cols.service) : '') +
            (cols.node > 0 ? column(parentName(snapshot, row.object.parents, 'node', props.fields), cols.node) : '') +
            (cols.type > 0 ? fit(TYPE_LABEL[row.object.type], cols.type) : '') +
            column(row.object.state, cols.state) +
            (cols.count > 0 ? fit(counts, cols.count) : '') +
            fitRight(age, cols.age);
          return (
            <Line
              key={row.uri}
              segments={[{ text: lead }, { text: style.glyph, color: style.color }, { text: rest }]}
              width={width}
              inverse={selected}
              dim={!selected && (props.stale || row.context)}
            />
          );
        })
      )}
    </Box>
  );
});
