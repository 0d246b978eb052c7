import { type HierarchySnapshot, type HierarchyTree, isTransitionalState, type ObjectType, type StoredObject, typeOfUri, uuidOfUri } from '@events/core';
import { displayName, type FieldsLookup, nameFromFields, parentOfType, shortId, stateSince, TYPE_LABEL } from './format.js';
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

/**
 * The views that can show any of `types` (the command line's `--type`; null: every type), in
 * key order: `--type node` is shown by the nodes view only, `--type container` by all three.
 *
 * @example
 * viewsShowing(new Set(['node'])) // ['nodes']
 * viewsShowing(null) // ['stacks', 'nodes', 'containers']
 */
export function viewsShowing(types: ReadonlySet<ObjectType> | null): readonly ViewMode[] {
  if (types === null) return VIEW_MODES;
  return VIEW_MODES.filter((view) => SHAPES[view].types.some((type) => types.has(type)));
}

/**
 * The view a run opens on: the one that shows the most of `types`, and of those the one that
 * shows them highest up (`--type container`: the flat containers view, which names each one's
 * stack, service and node, rather than a tree of parents that are not there). The stacks view
 * when every type is wanted, or when no view shows any (`--type action`: the events pane does).
 *
 * @example
 * initialViewFor(new Set(['node'])) // 'nodes'
 * initialViewFor(new Set(['container'])) // 'containers'
 * initialViewFor(new Set(['service', 'container'])) // 'stacks'
 */
export function initialViewFor(types: ReadonlySet<ObjectType> | null): ViewMode {
  let best: ViewMode = 'stacks';
  let bestShown = 0;
  let bestDepth = Number.POSITIVE_INFINITY;
  if (types === null) return best;
  for (const view of VIEW_MODES) {
    const levels = SHAPES[view].types;
    const shown = levels.filter((type) => types.has(type)).length;
    const depth = levels.findIndex((type) => types.has(type));
    if (shown > bestShown || (shown === bestShown && shown > 0 && depth < bestDepth)) {
      best = view;
      bestShown = shown;
      bestDepth = depth;
    }
  }
  return best;
}

/**
 * Why `view` is empty by design under `--type` (it lists none of `types`), and which key shows
 * them instead; null when the view can show some of them. Short: it fits a 60-column pane.
 *
 * @example
 * unlistedTypesText('stacks', new Set(['node'])) // 'nothing here under --type node: press 2 (Nodes)'
 */
export function unlistedTypesText(view: ViewMode, types: ReadonlySet<ObjectType> | null): string | null {
  if (types === null || types.size === 0 || SHAPES[view].types.some((type) => types.has(type))) return null;
  const asked = `nothing here under --type ${[...types].join(',')}`;
  const views = viewsShowing(types);
  if (views.length === 0) return `${asked}: see the events pane`;
  return `${asked}: press ${views.map((other) => `${VIEW_MODES.indexOf(other) + 1} (${VIEW_TITLES[other]})`).join(' or ')}`;
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

// Per frozen record: its name and the lower-cased text the filter searches. Records are replaced,
// never changed, so an entry is right for as long as the record lives (and goes with it).
class Derived {
  /** The name lower-cased: the name sort's key. */
  readonly lower: string;
  private text: string | null = null;

  constructor(
    private readonly object: StoredObject,
    readonly name: string,
  ) {
    this.lower = name.toLowerCase();
  }

  /** What the filter searches, lower-cased; made when a filter first asks (a hundred records change between frames). */
  get haystack(): string {
    this.text ??= `${this.name}\n${this.object.state}\n${TYPE_LABEL[this.object.type]}\n${this.object.uuid}`.toLowerCase();
    return this.text;
  }

  // The last filter asked about, and the answers: a filter stays the same for many frames, and
  // most records with it, so each is searched once per filter, not once per frame.
  private askedFor: string | null = null;
  private hit = false;
  private nameHit = false;

  /** Whether the name, state, type or id contains `filter` (lower-cased, trimmed). */
  matches(filter: string): boolean {
    if (this.askedFor !== filter) this.ask(filter);
    return this.hit;
  }

  /** Whether the name alone contains `filter`: what a parent passes on to the rows under it. */
  nameMatches(filter: string): boolean {
    if (this.askedFor !== filter) this.ask(filter);
    return this.nameHit;
  }

  private ask(filter: string): void {
    this.askedFor = filter;
    this.hit = this.haystack.includes(filter);
    this.nameHit = this.hit && this.lower.includes(filter);
  }
}
const derivedCache = new WeakMap<StoredObject, Derived>();

function derive(object: StoredObject, fields: FieldsLookup | undefined): Derived {
  if (object.fields === null && fields !== undefined) {
    // Fetched names arrive later, so these are not cached against the record.
    const extra = fields(object.resource_uri);
    if (extra) return new Derived(object, displayName(object, extra));
  }
  let derived = derivedCache.get(object);
  if (derived === undefined) {
    derived = new Derived(object, displayName(object));
    derivedCache.set(object, derived);
  }
  return derived;
}

/** Problems first: the rows that need a look come to the top. */
const KIND_RANK: Readonly<Record<StateKind, number>> = { fault: 0, partial: 1, busy: 2, unknown: 3, idle: 4, ok: 5, gone: 6 };

function keyOf(object: StoredObject, fields: FieldsLookup | undefined, sort: SortKey): string {
  const lower = derive(object, fields).lower;
  switch (sort) {
    case 'name':
      return lower;
    case 'state':
      return `${KIND_RANK[styleOfState(object.state).kind]}\u0000${lower}`;
    case 'age':
      return `${stateSince(object) ?? ''}\u0000${lower}`;
  }
}

interface SortMemo {
  /** The list as given last time, and each member's sort key. */
  objects: readonly StoredObject[];
  keys: readonly string[];
  /** Positions in `objects`, in sorted order. */
  readonly order: readonly number[];
  readonly sort: SortKey;
  /** The lookup the keys were made with (names of objects without fields come from it). */
  fields: FieldsLookup | undefined;
  /** How many of `objects` have no fields (and so may take their name from the lookup). */
  nullFields: number;
  used: number;
  /** URI → place in `order`, made once the memo has been searched before; right for as long as the memo is (same URIs in the same places). */
  placeOf: Map<string, number> | null;
  /** How often `order` was searched by scanning. */
  scans: number;
}

/**
 * Sibling orders remembered between builds. A list whose members and sort keys are unchanged
 * (the usual case: events change states, not names) is put in order without sorting, and a
 * member whose record is the very same as last time is not even looked at again: at 1,000
 * events/s the 9,500 containers of the flat view are re-listed ten times a second, a hundred
 * records change in between, and the order only changes when one comes or goes.
 */
export interface RowCache {
  /** @internal */
  readonly memos: Map<string, SortMemo>;
  /** @internal */
  build: number;
  /** @internal What the filter found in each type's list last time (see ownMatches). */
  readonly matches: Map<ObjectType, MatchMemo>;
}

/** A RowCache for one view (keep one per mounted view, e.g. in a ref). */
export function createRowCache(): RowCache {
  return { memos: new Map(), build: 0, matches: new Map() };
}

// Per object of a list, what the filter found in it: anything (name, state, type, id), and the name.
const OWN_MATCH = 1;
const NAME_MATCH = 2;

interface MatchMemo {
  readonly filter: string;
  readonly fields: FieldsLookup | undefined;
  readonly objects: readonly StoredObject[];
  readonly found: Uint8Array;
}

/**
 * For each of `objects` (the store's list of one type), what `filter` finds in it (OWN_MATCH,
 * NAME_MATCH). With a cache, a record at the same place as in the last build with the same
 * filter keeps its answer without being looked at (records are replaced, never changed; one
 * whose name comes from the lookup is asked again when the lookup changed): under load a
 * hundred of 9,500 change between frames.
 */
function ownMatches(type: ObjectType, objects: readonly StoredObject[], filter: string, fields: FieldsLookup | undefined, cache: RowCache | undefined): Uint8Array {
  const memo = cache?.matches.get(type);
  const before = memo !== undefined && memo.filter === filter ? memo : undefined;
  const sameLookup = before !== undefined && before.fields === fields;
  const found = new Uint8Array(objects.length);
  for (let i = 0; i < objects.length; i++) {
    const object = objects[i] as StoredObject;
    if (before !== undefined && before.objects[i] === object && (sameLookup || object.fields !== null)) {
      found[i] = before.found[i] as number;
      continue;
    }
    const derived = derive(object, fields);
    found[i] = derived.matches(filter) ? OWN_MATCH | (derived.nameMatches(filter) ? NAME_MATCH : 0) : 0;
  }
  cache?.matches.set(type, { filter, fields, objects, found });
  return found;
}

/** `objects` in sibling order (by key, then URI), from the cache when still right. */
function sortedOrder(objects: readonly StoredObject[], fields: FieldsLookup | undefined, sort: SortKey, cache: RowCache | undefined, slot: string): SortMemo {
  const n = objects.length;
  const build = cache?.build ?? 0;
  const memo = cache?.memos.get(slot);
  if (memo !== undefined && memo.sort === sort && memo.objects.length === n) {
    // Records are replaced, never changed: the same record has the same key, unless its name
    // comes from the lookup (it has no fields) and the lookup changed. When no member lacks
    // fields, an unchanged record is not even looked at (9,500 of them, on every frame).
    const lookupMatters = memo.fields !== fields && memo.nullFields > 0;
    let nullFields = memo.nullFields;
    let same = true;
    const previous = memo.objects;
    for (let i = 0; i < n; i++) {
      const object = objects[i] as StoredObject;
      const before = previous[i] as StoredObject;
      if (object === before) {
        if (!lookupMatters || object.fields !== null) continue;
      } else {
        nullFields += (object.fields === null ? 1 : 0) - (before.fields === null ? 1 : 0);
      }
      if (object.resource_uri !== before.resource_uri || keyOf(object, fields, sort) !== memo.keys[i]) {
        same = false;
        break;
      }
    }
    if (same) {
      memo.objects = objects;
      memo.fields = fields;
      memo.nullFields = nullFields;
      memo.used = build;
      return memo;
    }
  }
  const keys = new Array<string>(n);
  let nullFields = 0;
  for (let i = 0; i < n; i++) {
    const object = objects[i] as StoredObject;
    keys[i] = keyOf(object, fields, sort);
    if (object.fields === null) nullFields++;
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    const ka = keys[a] as string;
    const kb = keys[b] as string;
    if (ka !== kb) return sort === 'age' ? compareAge(ka, kb) : ka < kb ? -1 : 1;
    return (objects[a] as StoredObject).resource_uri < (objects[b] as StoredObject).resource_uri ? -1 : 1;
  });
  const made: SortMemo = { objects, keys, order, sort, fields, nullFields, used: build, placeOf: null, scans: 0 };
  cache?.memos.set(slot, made);
  return made;
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
