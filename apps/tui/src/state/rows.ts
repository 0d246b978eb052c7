import { type HierarchySnapshot, type HierarchyTree, isTransitionalState, type ObjectType, type StoredObject, typeOfUri } from '@events/core';
import { displayName, type FieldsLookup, stateSince, TYPE_LABEL } from './format.js';
import { type StateKind, styleOfState } from './state-style.js';

/** The three ways to look at an account (keys 1, 2, 3). */
export type ViewMode = 'stacks' | 'nodes' | 'containers';
export const VIEW_MODES: readonly ViewMode[] = ['stacks', 'nodes', 'containers'];

export const VIEW_TITLES: Readonly<Record<ViewMode, string>> = {
  stacks: 'Stacks',
  nodes: 'Nodes',
  containers: 'Containers',
};

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

/** The rows of a view, with a URI → index lookup for selection tracking. */
export interface RowList {
  readonly rows: readonly Row[];
  /** The row index of `uri`, or -1. */
  indexOf(uri: string): number;
  /** How many objects of the view match the filter (every object when there is none). */
  readonly matches: number;
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

interface ViewShape {
  readonly tree: HierarchyTree | null;
  readonly rootTypes: readonly ObjectType[];
  /** The types the view shows, top down. */
  readonly types: readonly ObjectType[];
}

const SHAPES: Readonly<Record<ViewMode, ViewShape>> = {
  stacks: { tree: 'app', rootTypes: ['stack'], types: ['stack', 'service', 'container'] },
  nodes: { tree: 'infra', rootTypes: ['nodecluster'], types: ['nodecluster', 'node', 'container'] },
  containers: { tree: null, rootTypes: ['container'], types: ['container'] },
};

/** The direct parent's type in each tree (the store indexes children by it). */
const PARENT_TYPE: Readonly<Record<HierarchyTree, Partial<Record<ObjectType, ObjectType>>>> = {
  app: { service: 'stack', container: 'service' },
  infra: { node: 'nodecluster', container: 'node' },
};

/** Default: the top level is open (stacks show their services), deeper levels are closed. */
export function isExpandedByDefault(type: ObjectType): boolean {
  return type === 'stack' || type === 'nodecluster';
}

// Per frozen record: its name and the lower-cased text the filter searches. Records are replaced,
// never changed, so an entry is right for as long as the record lives (and goes with it).
interface Derived {
  readonly name: string;
  /** The name lower-cased: the name sort's key. */
  readonly lower: string;
  readonly haystack: string;
}
const derivedCache = new WeakMap<StoredObject, Derived>();

function derive(object: StoredObject, fields: FieldsLookup | undefined): Derived {
  if (object.fields === null && fields !== undefined) {
    // Fetched names arrive later, so these are not cached against the record.
    const extra = fields(object.resource_uri);
    if (extra) return makeDerived(object, displayName(object, extra));
  }
  let derived = derivedCache.get(object);
  if (derived === undefined) {
    derived = makeDerived(object, displayName(object));
    derivedCache.set(object, derived);
  }
  return derived;
}

function makeDerived(object: StoredObject, name: string): Derived {
  return { name, lower: name.toLowerCase(), haystack: `${name}\n${object.state}\n${TYPE_LABEL[object.type]}\n${object.uuid}`.toLowerCase() };
}

interface Item {
  readonly object: StoredObject;
  readonly name: string;
}

/** Problems first: the rows that need a look come to the top. */
const KIND_RANK: Readonly<Record<StateKind, number>> = { fault: 0, partial: 1, busy: 2, unknown: 3, idle: 4, ok: 5, gone: 6 };

function sortKey(object: StoredObject, name: string, sort: Exclude<SortKey, 'name'>): string {
  switch (sort) {
    case 'state':
      return `${KIND_RANK[styleOfState(object.state).kind]}\u0000${name}`;
    case 'age':
      return `${stateSince(object) ?? ''}\u0000${name}`;
  }
}

interface SortMemo {
  readonly uris: readonly string[];
  readonly keys: readonly string[];
  /** Input positions in sorted order. */
  readonly order: readonly number[];
  used: number;
}

/**
 * Sibling orders remembered between builds. A list whose members and sort keys are unchanged
 * (the usual case: events change states, not names) is put in order without sorting: at 1,000
 * events/s the 9,500 containers of the flat view are re-listed ten times a second, and their
 * order only changes when one comes or goes.
 */
export interface RowCache {
  /** @internal */
  readonly memos: Map<string, SortMemo>;
  /** @internal */
  build: number;
}

/** A RowCache for one view (keep one per mounted view, e.g. in a ref). */
export function createRowCache(): RowCache {
  return { memos: new Map(), build: 0 };
}

function items(objects: readonly StoredObject[], fields: FieldsLookup | undefined, sort: SortKey, cache: RowCache | undefined, slot: string): Item[] {
  const n = objects.length;
  const names = new Array<string>(n);
  const keys = new Array<string>(n);
  const uris = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const object = objects[i] as StoredObject;
    const derived = derive(object, fields);
    names[i] = derived.name;
    uris[i] = object.resource_uri;
    keys[i] = sort === 'name' ? derived.lower : sortKey(object, derived.lower, sort);
  }
  const memo = cache?.memos.get(slot);
  let order: readonly number[] | undefined;
  if (memo !== undefined && memo.uris.length === n) {
    let same = true;
    for (let i = 0; i < n && same; i++) same = memo.uris[i] === uris[i] && memo.keys[i] === keys[i];
    if (same) order = memo.order;
  }
  if (order === undefined) {
    const positions = Array.from({ length: n }, (_, i) => i);
    positions.sort((a, b) => {
      const ka = keys[a] as string;
      const kb = keys[b] as string;
      if (ka !== kb) return sort === 'age' ? compareAge(ka, kb) : ka < kb ? -1 : 1;
      return (uris[a] as string) < (uris[b] as string) ? -1 : 1;
    });
    order = positions;
  }
  if (cache !== undefined) cache.memos.set(slot, { uris, keys, order, used: cache.build });
  const out = new Array<Item>(n);
  for (let i = 0; i < n; i++) {
    const at = order[i] as number;
    out[i] = { object: objects[at] as StoredObject, name: names[at] as string };
  }
  return out;
}

/** Age keys are `time\0name`: most recent first, unknown times last, then by name. */
function compareAge(a: string, b: string): number {
  const split = (key: string): [number, string] => {
    const at = key.indexOf('\u0000');
    const time = key.slice(0, at);
    return [time === '' ? Number.NEGATIVE_INFINITY : Number(time), key.slice(at + 1)];
  };
  const [ta, na] = split(a);
  const [tb, nb] = split(b);
  if (ta !== tb) return tb - ta;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** A row whose `expandable` is worked out when first asked (only drawn rows are asked). */
class TreeRow implements Row {
  readonly uri: string;
  private known: boolean | null;

  constructor(
    private readonly snapshot: HierarchySnapshot,
    private readonly tree: HierarchyTree | null,
    readonly object: StoredObject,
    readonly name: string,
    readonly depth: number,
    readonly parentUri: string | null,
    readonly expanded: boolean,
    children: readonly StoredObject[] | null,
    readonly context: boolean,
  ) {
    this.uri = object.resource_uri;
    this.known = children === null ? null : children.length > 0;
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

/**
 * The rows of `view` for a snapshot: the tree walked from its roots (plus the objects whose
 * parent the store does not hold, at the top level), siblings sorted, closed rows' children
 * left out. With a filter, only the matching objects and their ancestors are listed, the
 * ancestors open and marked as context. Cost: linear in the rows listed (and, with a filter, in
 * the objects of the view), so a 10,000-object account rebuilds in a few milliseconds.
 *
 * @example
 * const list = buildRows(snapshot, { view: 'stacks', sort: 'name', filter: '', isExpanded: (uri, type) => isExpandedByDefault(type) });
 * list.rows.map((row) => `${'  '.repeat(row.depth)}${row.name}`);
 */
export function buildRows(snapshot: HierarchySnapshot, options: RowOptions): RowList {
  const shape = SHAPES[options.view];
  const { fields, sort } = options;
  const rows: Row[] = [];
  const filter = options.filter.trim().toLowerCase();

  let visible: Set<string> | null = null;
  let matched: Set<string> | null = null;
  let matches = 0;
  if (filter !== '') {
    visible = new Set();
    matched = new Set();
    for (const type of shape.types) {
      for (const object of snapshot.ofType(type)) {
        if (!derive(object, fields).haystack.includes(filter)) continue;
        matches++;
        matched.add(object.resource_uri);
        visible.add(object.resource_uri);
        if (shape.tree === null) continue;
        // Ancestors in this view's tree, walked the way the rows are built.
        let current: StoredObject | undefined = object;
        while (current !== undefined) {
          const parent = treeParentOf(current, shape.tree);
          if (parent === null || visible.has(parent)) break;
          current = snapshot.get(parent);
          if (current !== undefined) visible.add(parent);
        }
      }
    }
  } else {
    for (const type of shape.types) matches += snapshot.ofType(type).length;
  }

  const cache = options.cache;
  if (cache !== undefined) cache.build++;
  const tree = shape.tree;
  const push = (list: readonly StoredObject[], depth: number, parentUri: string | null, slot: string) => {
    const shown = visible === null ? list : list.filter((object) => (visible as Set<string>).has(object.resource_uri));
    for (const item of items(shown, fields, sort, cache, slot)) {
      const object = item.object;
      const uri = object.resource_uri;
      let children: readonly StoredObject[] | null = null;
      let expanded = false;
      // Children are looked up only for rows that may show them; a closed row learns whether it
      // has any when it is drawn (see TreeRow), so a closed service costs no child lookups.
      if (tree !== null && (visible !== null || options.isExpanded(uri, object.type))) {
        children = snapshot.children(uri, tree);
        expanded = visible === null ? children.length > 0 : children.some((child) => (visible as Set<string>).has(child.resource_uri));
      }
      rows.push(new TreeRow(snapshot, tree, object, item.name, depth, parentUri, expanded, children, matched !== null && !matched.has(uri)));
      if (expanded && children !== null) push(children, depth + 1, uri, uri);
    }
  };

  const roots: StoredObject[] = [];
  for (const type of shape.rootTypes) roots.push(...snapshot.ofType(type));
  push(roots, 0, null, 'roots');
  if (tree !== null) {
    // Objects whose parent the store does not hold (yet): at the top level, after the real roots.
    const orphans = snapshot.orphans(tree).filter((object) => shape.types.includes(object.type));
    push(orphans.filter((object) => object.type === shape.types[1]), 0, null, 'orphans:1');
    push(orphans.filter((object) => object.type === shape.types[2]), 0, null, 'orphans:2');
  }
  if (cache !== undefined) {
    // Orders of lists not shown this time (a parent was closed) go: the cache stays as big as the view.
    for (const [slot, memo] of cache.memos) if (memo.used !== cache.build) cache.memos.delete(slot);
  }

  // Asked a few times per frame, mostly for the same URI: a scan (URIs are shared strings, so
  // mostly pointer compares) is cheaper than a Map of every row built on every publish.
  let lastUri: string | null = null;
  let lastIndex = -1;
  return {
    rows,
    matches,
    indexOf(uri: string): number {
      if (uri !== lastUri) {
        lastUri = uri;
        lastIndex = rows.findIndex((row) => row.uri === uri);
      }
      return lastIndex;
    },
  };
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
    const known = target ?? (typeof fields?.target_num_containers === 'number' ? fields.target_num_containers : undefined);
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
