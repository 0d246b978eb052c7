import { type HierarchySnapshot, type HierarchyTree, isTransitionalState, type ObjectType, type StoredObject, typeOfUri, uuidOfUri } from '@events/core';
import { type FieldsLookup, nameFromFields, parentOfType, shortId } from './format.js';
import { derive, NAME_MATCH, ownMatches, type RowCache, type SortMemo, sortedOrder } from './row-cache.js';
import { styleOfState } from './state-style.js';
import { SHAPES, type ViewMode } from './view-modes.js';

/** Sibling order. */
export type SortKey = 'name' | 'state' | 'age';
export const SORT_KEYS: readonly SortKey[] = ['name', 'state', 'age'];

/** One line of the tree or list. */
export interface Row {
  readonly uri: string;
  readonly object: StoredObject;
  readonly name: string;
  readonly depth: number;
  /** The row this one is nested under in this view; null at the top level. */
  readonly parentUri: string | null;
  /** It has children in this view (shown or not). */
  readonly expandable: boolean;
  /** Its children are shown. */
  readonly expanded: boolean;
  /** Shown only because something under it matches the filter (drawn dimmed). */
  readonly context: boolean;
}

/**
 * The rows of a view. Rows are made when asked for: a frame asks for the window it draws (and
 * the selected row), never for all of them.
 */
export interface RowList {
  /** How many rows the view has. */
  readonly length: number;
  /** The row at `index`, or undefined outside `0 .. length - 1`. The same index gives the same Row. */
  at(index: number): Row | undefined;
  /** Rows `start` (inclusive) to `end` (exclusive), clamped to the list, as `Array#slice` with non-negative bounds. */
  slice(start: number, end: number): Row[];
  /** The row index of `uri`, or -1. */
  indexOf(uri: string): number;
  /** How many objects of the view match the filter (every object when there is none). */
  readonly matches: number;
  /** Every row, made on first use: for tests and small lists, not for a frame. */
  readonly rows: readonly Row[];
}

export interface RowOptions {
  readonly view: ViewMode;
  readonly sort: SortKey;
  /** Case-insensitive text; empty for none. */
  readonly filter: string;
  /** Whether the user has the row open. Ignored while a filter is active (matches' ancestors open by themselves). */
  readonly isExpanded: (uri: string, type: ObjectType) => boolean;
  /** REST fields fetched later, for names of objects known only from events. */
  readonly fields?: FieldsLookup;
  /** Keeps sibling orders between builds (see createRowCache); without it every build sorts. */
  readonly cache?: RowCache;
}

/** The direct parent's type in each tree (the store indexes children by it). */
const PARENT_TYPE: Readonly<Record<HierarchyTree, Partial<Record<ObjectType, ObjectType>>>> = {
  app: { service: 'stack', container: 'service' },
  infra: { node: 'nodecluster', container: 'node' },
};

/** Default: the top level is open (stacks show their services), deeper levels are closed. */
export function isExpandedByDefault(type: ObjectType): boolean {
  return type === 'stack' || type === 'nodecluster';
}

// Per row of a walked tree, in its flags: what the walk learnt about the row's children, and why it is listed.
const CHILDREN_KNOWN = 1;
const HAS_CHILDREN = 2;
const EXPANDED = 4;
const CONTEXT = 8;

/** The rows of a build, without an object per row: what a Row is made from when asked for. */
interface RowTable {
  readonly length: number;
  objectAt(index: number): StoredObject;
  depthAt(index: number): number;
  parentAt(index: number): string | null;
  flagsAt(index: number): number;
  indexOf(uri: string): number;
}

/**
 * A flat list (the containers view): the sorted memo itself, nothing copied. Row `i` is
 * `objects[order[i]]`. Where a URI is: a scan the first time an order is searched, then a map
 * kept with the order (an order that lasts, as by name, is searched on every frame; one that
 * changes on every frame, as by age under load, would pay for a map it uses once).
 */
class FlatTable implements RowTable {
  readonly length: number;

  constructor(private readonly memo: SortMemo) {
    this.length = memo.order.length;
  }

  objectAt(index: number): StoredObject {
    return this.memo.objects[this.memo.order[index] as number] as StoredObject;
  }

  depthAt(): number {
    return 0;
  }

  parentAt(): null {
    return null;
  }

  flagsAt(): number {
    return 0; // with no tree there are no children, and every listed object matches the filter
  }

  indexOf(uri: string): number {
    const { memo } = this;
    const { objects, order } = memo;
    if (memo.placeOf === null && memo.scans++ > 0) {
      const placeOf = new Map<string, number>();
      for (let k = 0; k < order.length; k++) placeOf.set((objects[order[k] as number] as StoredObject).resource_uri, k);
      memo.placeOf = placeOf;
    }
    if (memo.placeOf !== null) return memo.placeOf.get(uri) ?? -1;
    for (let k = 0; k < order.length; k++) if ((objects[order[k] as number] as StoredObject).resource_uri === uri) return k;
    return -1;
  }
}

/** A walked tree: one entry per row in parallel arrays. */
class WalkTable implements RowTable {
  readonly objects: StoredObject[] = [];
  readonly depths: number[] = [];
  readonly parents: (string | null)[] = [];
  readonly flags: number[] = [];

  get length(): number {
    return this.objects.length;
  }

  objectAt(index: number): StoredObject {
    return this.objects[index] as StoredObject;
  }

  depthAt(index: number): number {
    return this.depths[index] as number;
  }

  parentAt(index: number): string | null {
    return this.parents[index] as string | null;
  }

  flagsAt(index: number): number {
    return this.flags[index] as number;
  }

  // Asked a few times per frame, mostly for the same URI (the list caches the answer): a scan,
  // mostly pointer compares of shared URI strings, is cheaper than a Map of every row built on
  // every publish.
  indexOf(uri: string): number {
    return this.objects.findIndex((object) => object.resource_uri === uri);
  }
}

/** A row made from its entry in the table; `expandable` is worked out when first asked (only drawn rows are asked). */
class ListedRow implements Row {
  readonly uri: string;
  readonly expanded: boolean;
  readonly context: boolean;
  private known: boolean | null;

  constructor(
    private readonly snapshot: HierarchySnapshot,
    private readonly tree: HierarchyTree | null,
    readonly object: StoredObject,
    readonly name: string,
    readonly depth: number,
    readonly parentUri: string | null,
    flags: number,
  ) {
    this.uri = object.resource_uri;
    this.known = (flags & CHILDREN_KNOWN) !== 0 ? (flags & HAS_CHILDREN) !== 0 : null;
    this.expanded = (flags & EXPANDED) !== 0;
    this.context = (flags & CONTEXT) !== 0;
  }

  get expandable(): boolean {
    if (this.known === null) this.known = this.tree !== null && this.snapshot.children(this.uri, this.tree).length > 0;
    return this.known;
  }
}

/** The object's direct parent in `tree`, by the same rule the store indexes children by. */
function treeParentOf(object: StoredObject, tree: HierarchyTree): string | null {
  const parentType = PARENT_TYPE[tree][object.type];
  if (parentType === undefined) return null;
  for (const uri of object.parents) if (typeOfUri(uri) === parentType) return uri;
  return null;
}

/** The name a parent URI is shown by in a row, lower-cased: the store's record, else fetched fields, else its short id. */
function shownParentName(snapshot: HierarchySnapshot, uri: string, fields: FieldsLookup | undefined): string {
  const held = snapshot.get(uri);
  if (held !== undefined) return derive(held, fields).lower;
  const type = typeOfUri(uri);
  const extra = fields?.(uri);
  const name = type !== undefined && extra != null ? nameFromFields(type, extra) : null;
  return (name ?? shortId(uuidOfUri(uri))).toLowerCase();
}

/**
 * The containers whose stack, service or node, as the flat view names them beside each one,
 * has a name that contains `filter`. Walked down from the parents that match (the store's
 * children index), so a filter that names no parent costs a look at each parent, not at each
 * container; parents the store does not hold (their type left out by --type) are named by
 * fetched fields, looked up once per parent from the containers that name them.
 */
function containersOfMatchingParents(snapshot: HierarchySnapshot, filter: string, fields: FieldsLookup | undefined): Set<StoredObject> {
  // Records, not URIs: a set of objects answers `has` several times faster than one of strings.
  const out = new Set<StoredObject>();
  const addContainers = (parent: string, tree: HierarchyTree) => {
    for (const child of snapshot.children(parent, tree)) if (child.type === 'container') out.add(child);
  };
  // Parents the store does not hold are named as the row names them, once each.
  const hits = new Map<string, boolean>();
  const hit = (uri: string | null | undefined): boolean => {
    if (uri == null) return false;
    let known = hits.get(uri);
    if (known === undefined) {
      known = shownParentName(snapshot, uri, fields).includes(filter);
      hits.set(uri, known);
    }
    return known;
  };
  for (const stack of snapshot.ofType('stack')) {
    if (!derive(stack, fields).nameMatches(filter)) continue;
    for (const service of snapshot.children(stack.resource_uri, 'app')) addContainers(service.resource_uri, 'app');
  }
  for (const service of snapshot.ofType('service')) {
    if (derive(service, fields).nameMatches(filter)) {
      addContainers(service.resource_uri, 'app');
      continue;
    }
    // A service under a stack the store does not hold (--type service,container).
    const stack = treeParentOf(service, 'app');
    if (stack !== null && !snapshot.has(stack) && hit(stack)) addContainers(service.resource_uri, 'app');
  }
  for (const node of snapshot.ofType('node')) if (derive(node, fields).nameMatches(filter)) addContainers(node.resource_uri, 'infra');
  // Containers whose service or node the store does not hold (--type container).
  for (const tree of ['app', 'infra'] as const) {
    for (const object of snapshot.orphans(tree)) {
      if (object.type !== 'container' || out.has(object)) continue;
      const { parents } = object;
      const matches =
        tree === 'app'
          ? hit(parentOfType(snapshot, parents, 'service', fields)) || hit(parentOfType(snapshot, parents, 'stack', fields))
          : hit(parentOfType(snapshot, parents, 'node', fields));
      if (matches) out.add(object);
    }
  }
  return out;
}

/**
 * The rows of `view` for a snapshot: the tree walked from its roots (plus the objects whose
 * parent the store does not hold, at the top level), siblings sorted, closed rows' children
 * left out. With a filter, only the matching objects and their ancestors are listed, the
 * ancestors open and marked as context. An object matches by its own name, state, type or id,
 * or by the name of a parent its row shows: in a tree, an ancestor's (the path above it; a
 * stack's name finds its services and containers), in the flat containers view, its stack's,
 * service's or node's.
 *
 * No object is made per row until a row is asked for (`at`, `slice`): a frame that draws 30 of
 * 9,500 rows makes 30. A tree walk records each row's object, depth and parent in flat arrays;
 * the flat containers view is its sorted order as is. With `options.cache`, sibling orders are
 * kept between builds, so a 10,000-object account whose names did not change re-lists in well
 * under a millisecond (plus, with a filter, a look at every object of the view).
 *
 * @example
 * const list = buildRows(snapshot, { view: 'stacks', sort: 'name', filter: '', isExpanded: (uri, type) => isExpandedByDefault(type) });
 * list.slice(0, 30).map((row) => `${'  '.repeat(row.depth)}${row.name}`);
 */
export function buildRows(snapshot: HierarchySnapshot, options: RowOptions): RowList {
  const shape = SHAPES[options.view];
  const { fields, sort } = options;
  const filter = options.filter.trim().toLowerCase();

  // Records, not URIs, in these sets: a set of objects answers `has` several times faster than
  // one of strings, and a filter asks it of every object of the view on every frame.
  let visible: Set<StoredObject> | null = null;
  let matched: Set<StoredObject> | null = null;
  /** With a filter, the flat view's matches in the store's order (that of its roots): no second pass to pick them out. */
  let flatMatches: StoredObject[] | null = null;
  /** With a filter, in a tree: the listed children of each listed row, found on the way up from each match (so a row's other children are never looked at). */
  let listedChildren: Map<string, StoredObject[]> | null = null;
  let matches = 0;
  const cache = options.cache;
  if (filter === '') cache?.matches.clear();
  if (filter !== '' && shape.tree === null) {
    const viaParent = containersOfMatchingParents(snapshot, filter, fields);
    flatMatches = [];
    for (const type of shape.types) {
      const objects = snapshot.ofType(type);
      const found = ownMatches(type, objects, filter, fields, cache);
      for (let i = 0; i < objects.length; i++) {
        const object = objects[i] as StoredObject;
        if (found[i] !== 0 || (viaParent.size > 0 && viaParent.has(object))) flatMatches.push(object);
      }
    }
    matches = flatMatches.length;
  } else if (filter !== '' && shape.tree !== null) {
    const tree = shape.tree;
    const seen = new Set<StoredObject>();
    const hits = new Set<StoredObject>();
    visible = seen;
    matched = hits;
    listedChildren = new Map();
    // Objects that match through an ancestor's name. Types go top down, so a parent is looked at
    // before its children, and passes a match by name on to them.
    const viaParent = new Set<StoredObject>();
    const last = shape.types[shape.types.length - 1];
    for (const type of shape.types) {
      const objects = snapshot.ofType(type);
      const found = ownMatches(type, objects, filter, fields, cache);
      for (let i = 0; i < objects.length; i++) {
        const object = objects[i] as StoredObject;
        const own = found[i] as number;
        const inherited = viaParent.size > 0 && viaParent.has(object);
        if (!inherited && own === 0) continue;
        matches++;
        hits.add(object);
        seen.add(object);
        if (type !== last && (inherited || (own & NAME_MATCH) !== 0)) for (const child of snapshot.children(object.resource_uri, tree)) viaParent.add(child);
        // Ancestors in this view's tree, walked the way the rows are built, each row noted under
        // its parent. Top down, an object is walked from at most once: as a match, or as the
        // ancestor of one (its own match, if any, came first).
        let current: StoredObject = object;
        for (;;) {
          const parent = treeParentOf(current, tree);
          const parentObject = parent === null ? undefined : snapshot.get(parent);
          if (parent === null || parentObject === undefined) break; // a root, or an orphan: at the top level
          const siblings = listedChildren.get(parent);
          if (siblings === undefined) listedChildren.set(parent, [current]);
          else siblings.push(current);
          if (seen.has(parentObject)) break;
          seen.add(parentObject);
          current = parentObject;
        }
      }
    }
  } else {
    const counts = snapshot.countsByType();
    for (const type of shape.types) matches += counts[type];
  }

  if (cache !== undefined) cache.build++;
  const tree = shape.tree;
  const shownOf = (list: readonly StoredObject[]) => (visible === null ? list : list.filter((object) => (visible as Set<StoredObject>).has(object)));
  // The store's own list when there is one root type (always, today): the sort cache can then tell an unchanged record by identity.
  const roots = shape.rootTypes.length === 1 ? snapshot.ofType(shape.rootTypes[0] as ObjectType) : shape.rootTypes.flatMap((type) => snapshot.ofType(type));

  let table: RowTable;
  if (tree === null) {
    table = new FlatTable(sortedOrder(flatMatches ?? roots, fields, sort, cache, 'roots'));
  } else {
    const walk = new WalkTable();
    const add = (list: readonly StoredObject[], depth: number, parentUri: string | null, slot: string) => {
      const { objects, order } = sortedOrder(list, fields, sort, cache, slot);
      for (let k = 0; k < order.length; k++) {
        const object = objects[order[k] as number] as StoredObject;
        const uri = object.resource_uri;
        walk.objects.push(object);
        walk.depths.push(depth);
        walk.parents.push(parentUri);
        let flags = matched !== null && !matched.has(object) ? CONTEXT : 0;
        let expanded = false;
        let children: readonly StoredObject[] = [];
        // Children are looked up only for rows that may show them; a closed row learns whether it
        // has any when it is drawn (see ListedRow), so a closed service costs no child lookups.
        if (listedChildren !== null) {
          // Filtered: open exactly when something under it is listed.
          const listed = listedChildren.get(uri);
          if (listed !== undefined) {
            children = listed;
            expanded = true;
            flags |= CHILDREN_KNOWN | HAS_CHILDREN | EXPANDED;
          }
        } else if (options.isExpanded(uri, object.type)) {
          children = snapshot.children(uri, tree);
          expanded = children.length > 0;
          flags |= CHILDREN_KNOWN | (children.length > 0 ? HAS_CHILDREN : 0) | (expanded ? EXPANDED : 0);
        }
        walk.flags.push(flags);
        if (expanded) add(children, depth + 1, uri, uri);
      }
    };
    add(shownOf(roots), 0, null, 'roots');
    // Objects whose parent the store does not hold (yet): at the top level, after the real roots.
    const orphans = snapshot.orphans(tree).filter((object) => shape.types.includes(object.type));
    add(shownOf(orphans.filter((object) => object.type === shape.types[1])), 0, null, 'orphans:1');
    add(shownOf(orphans.filter((object) => object.type === shape.types[2])), 0, null, 'orphans:2');
    table = walk;
  }
  if (cache !== undefined) {
    // Orders of lists not shown this time (a parent was closed) go: the cache stays as big as the view.
    for (const [slot, memo] of cache.memos) if (memo.used !== cache.build) cache.memos.delete(slot);
  }
  return new TableRowList(snapshot, tree, fields, table, matches);
}

class TableRowList implements RowList {
  readonly length: number;
  /** Rows made so far: the same index gives the same Row. */
  private readonly made = new Map<number, Row>();
  private all: readonly Row[] | null = null;
  private lastUri: string | null = null;
  private lastIndex = -1;

  constructor(
    private readonly snapshot: HierarchySnapshot,
    private readonly tree: HierarchyTree | null,
    private readonly fields: FieldsLookup | undefined,
    private readonly table: RowTable,
    readonly matches: number,
  ) {
    this.length = table.length;
  }

  at(index: number): Row | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    let row = this.made.get(index);
    if (row === undefined) {
      const { table } = this;
      const object = table.objectAt(index);
      row = new ListedRow(this.snapshot, this.tree, object, derive(object, this.fields).name, table.depthAt(index), table.parentAt(index), table.flagsAt(index));
      this.made.set(index, row);
    }
    return row;
  }

  slice(start: number, end: number): Row[] {
    const out: Row[] = [];
    const to = Math.min(end, this.length);
    for (let i = Math.max(0, start); i < to; i++) out.push(this.at(i) as Row);
    return out;
  }

  indexOf(uri: string): number {
    if (uri !== this.lastUri) {
      this.lastUri = uri;
      this.lastIndex = this.table.indexOf(uri);
    }
    return this.lastIndex;
  }

  get rows(): readonly Row[] {
    this.all ??= this.slice(0, this.length);
    return this.all;
  }
}

/** What a count column says: `up` of `total` (running containers, deployed nodes, ...), heading for `target`. */
export interface RowCounts {
  readonly up: number;
  readonly total: number;
  /** The goal while the object is in transition (a scaling service), when known and not reached. */
  readonly target: number | null;
}

/**
 * The count column of a row: a stack's running services, a service's running containers, a
 * node cluster's deployed nodes, a node's running containers. Terminated children do not
 * count. Null for containers and actions.
 *
 * @example
 * countsOf(snapshot, service, 'stacks') // { up: 2, total: 3, target: 4 } while scaling to 4
 */
export function countsOf(snapshot: HierarchySnapshot, object: StoredObject, view: ViewMode, target?: number): RowCounts | null {
  const tree = SHAPES[view].tree;
  if (tree === null || object.type === 'container' || object.type === 'action') return null;
  let up = 0;
  let total = 0;
  for (const child of snapshot.children(object.resource_uri, tree)) {
    if (child.state === 'Terminated') continue;
    total++;
    if (styleOfState(child.state).kind === 'ok') up++;
  }
  let goal: number | null = null;
  if (object.type === 'service') {
    const fields = object.fields as Readonly<Record<string, unknown>> | null;
    // A listed target is stale once events came after the listing (another client's scale says nothing of it).
    const listed = object.lastEventDatetime === null && typeof fields?.target_num_containers === 'number' ? fields.target_num_containers : undefined;
    const known = target ?? listed;
    // At rest the children are the target; a REST target may be stale by then, so it is shown only in transition.
    if (known !== undefined && isTransitionalState(object.state) && known !== total) goal = known;
  }
  return { up, total, target: goal };
}

/** The counts as the row shows them: `2/3`, or `2/3→4` while heading for 4. */
export function formatCounts(counts: RowCounts | null): string {
  if (counts === null) return '';
  return `${counts.up}/${counts.total}${counts.target === null ? '' : `→${counts.target}`}`;
}
