import type { ObjectType, StoredObject } from '@events/core';
import { displayName, type FieldsLookup, stateSince, TYPE_LABEL } from './format.js';
import type { SortKey } from './rows.js';
import { type StateKind, styleOfState } from './state-style.js';

// What buildRows keeps between builds: each record's name and search text, each list's sibling
// order and each list's filter answers. Records are replaced, never changed, so what is known of
// one stays right for as long as it lives.

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

export function derive(object: StoredObject, fields: FieldsLookup | undefined): Derived {
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

export interface SortMemo {
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
export const OWN_MATCH = 1;
export const NAME_MATCH = 2;

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
export function ownMatches(type: ObjectType, objects: readonly StoredObject[], filter: string, fields: FieldsLookup | undefined, cache: RowCache | undefined): Uint8Array {
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
export function sortedOrder(objects: readonly StoredObject[], fields: FieldsLookup | undefined, sort: SortKey, cache: RowCache | undefined, slot: string): SortMemo {
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
