import {
  type DockerCloudEvent,
  type EventAction,
  formatEventDatetime,
  formatRestDate,
  type ObjectType,
  type RestAction,
  type RestObject,
  type RestObjectByType,
  type RestService,
  type RestStack,
  resourceUriFor,
  type State,
} from '@events/core';
import { ChangeLog } from './change-log.js';
import { deriveObject, parentsFor } from './docker-derive.js';
import type { Identities } from './identities.js';
import { clusterKeyOf, countedAs, type Kind } from './docker-records.js';
import type { EngineRecords } from './engine-records.js';
import { MapperView } from './mapper-view.js';
import type { OpenAction, Transitions } from './transitions.js';

/** The derived types, in the order they are derived: each depends only on those before it. */
const DERIVE_ORDER: readonly Kind[] = ['container', 'service', 'stack', 'node', 'nodecluster'];
/** Creates go out parents first, so a client never sees a child before its parent. */
const CREATE_ORDER: readonly Kind[] = ['nodecluster', 'node', 'stack', 'service', 'container'];
/** Updates: infrastructure first, then each object before the aggregates that count it. */
const UPDATE_ORDER: readonly Kind[] = ['node', 'nodecluster', 'container', 'service', 'stack'];
/** Removals go out children first. */
const REMOVE_ORDER: readonly Kind[] = ['container', 'service', 'stack', 'node', 'nodecluster'];

type Store = { [T in ObjectType]: Map<string, RestObjectByType[T]> };

/**
 * The Docker Cloud side of the mapper: the REST objects as clients were last told, and the flush
 * that re-derives every marked engine identity and turns the differences into events (creates
 * parents first, then updates, then removals children first, then actions that ended).
 *
 * @example
 * identities.mark('container', id);
 * cloud.flush(); // [{ type: 'container', action: 'update', state: 'Stopped', ... }]
 */
export class DockerCloudView {
  /** The REST objects, by type and uuid. */
  readonly store: Store = {
    nodecluster: new Map(),
    node: new Map(),
    stack: new Map(),
    service: new Map(),
    container: new Map(),
    action: new Map(),
  };
  /** The clock reading of the flush under way, or of the last one: one per flush. */
  flushNow = 0;
  /** The records, identities and transitions as the derive and planning functions read them. */
  readonly view: MapperView;
  /**
   * What the last flush removed, as clients last saw it: `get` still answers with it (state
   * `Terminated`) while that flush's `Terminated` and `delete` events go out, as the source
   * contract wants (a source's model reflects each event as it is emitted). That is when
   * retainTerminatedObjects copies an object to keep it readable after its delete; lists never
   * show it. Emptied by the next flush. Slots in arrays, copied only when read: Maps emptied at
   * every flush after a removal cost the replay benchmark a tenth of its speed.
   */
  private readonly removedObjects: (RestObject | undefined)[] = [];
  private readonly removedTypes: Kind[] = [];
  private removedCount = 0;
  private readonly parentsByUri = new Map<string, readonly string[]>();
  /** One flush's changes; empty between flushes. */
  private readonly changes = new ChangeLog();
  private lastEventSecond = Number.NaN;
  private lastEventDatetime = '';
  private readonly restDates = new Map<number, string>();

  constructor(
    private readonly identities: Identities,
    private readonly records: EngineRecords,
    private readonly transitions: Transitions,
    private readonly randomUuid: () => string,
    /** Finished actions kept for the REST API. */
    private readonly maxActions: number,
  ) {
    this.view = new MapperView(records, identities, transitions, this);
  }

  // ---- reading -------------------------------------------------------------------------------------

  list<T extends ObjectType>(type: T): RestObjectByType[T][] {
    return [...(this.store[type] as Map<string, RestObjectByType[T]>).values()];
  }

  /** A live object; or, until the next flush, one the last flush removed (state `Terminated`). */
  get<T extends ObjectType>(type: T, uuid: string): RestObjectByType[T] | undefined {
    const live = (this.store[type] as Map<string, RestObjectByType[T]>).get(uuid);
    if (live !== undefined || this.removedCount === 0) return live;
    return this.removedObject(type, uuid) as RestObjectByType[T] | undefined;
  }

  /** The parents an event about this object carries (protocol.md §7). */
  parentsOf(uri: string): readonly string[] {
    return this.parentsByUri.get(uri) ?? [];
  }

  // ---- actions -------------------------------------------------------------------------------------

  /** A new action, in progress; the oldest finished ones beyond the retention go. */
  putAction(action: RestAction, parents: readonly string[]): void {
    this.store.action.set(action.uuid, action);
    this.parentsByUri.set(action.resource_uri, parents);
    this.pruneActions();
  }

  finishAction(open: OpenAction, state: 'Success' | 'Failed'): DockerCloudEvent[] {
    const action = this.store.action.get(open.uuid);
    if (!action) return [];
    const finished: RestAction = { ...action, state, end_date: this.restDate(this.flushNow) };
    this.store.action.set(open.uuid, finished);
    return [this.event('action', 'update', finished.resource_uri, state, open.parents, this.eventDatetime(this.flushNow))];
  }

  /** Keeps the newest finished actions; open ones are never dropped. */
  private pruneActions(): void {
    const actions = this.store.action;
    if (actions.size <= this.maxActions) return;
    for (const uuid of actions.keys()) {
      if (actions.size <= this.maxActions) break;
      if (this.transitions.openActions.has(uuid)) continue;
      actions.delete(uuid);
      this.parentsByUri.delete(resourceUriFor('action', uuid, null));
    }
  }

  // ---- flushing ------------------------------------------------------------------------------------

  /**
   * Re-derives every marked identity, children before what counts them, and turns the differences
   * into events after `prefix`: creates parents first, then updates, then removals children
   * first, then actions that ended.
   */
  flush(now: number, prefix: DockerCloudEvent[] = []): DockerCloudEvent[] {
    this.flushNow = now;
    const changes = this.changes;
    const dirty = this.identities.dirty;
    if (this.removedCount > 0) {
      // Their events went out with the last flush.
      for (let i = 0; i < this.removedCount; i++) this.removedObjects[i] = undefined;
      this.removedCount = 0;
    }
    for (let pass = 0; pass < 8; pass++) {
      let work = false;
      for (const type of DERIVE_ORDER) {
        const keys = dirty[type];
        if (keys.size === 0) continue;
        work = true;
        for (let key = keys.next(); key !== undefined; key = keys.next()) this.refresh(type, key, changes);
      }
      if (!work) break;
    }

    const events = prefix;
    if (changes.count > 0) {
      const datetime = this.eventDatetime(this.flushNow);
      if (changes.creates > 0) {
        for (const type of CREATE_ORDER) {
          changes.eachCreated(type, (o) => events.push(this.event(type, 'create', o.resource_uri, o.state, this.parentsOf(o.resource_uri), datetime)));
        }
      }
      if (changes.updates > 0) {
        for (const type of UPDATE_ORDER) {
          changes.eachUpdated(type, (o) => events.push(this.event(type, 'update', o.resource_uri, o.state, this.parentsOf(o.resource_uri), datetime)));
        }
      }
      if (changes.removes > 0) {
        for (const type of REMOVE_ORDER) {
          changes.eachRemoved(type, (last) => {
            const uri = last.resource_uri;
            const parents = this.parentsOf(uri);
            this.removedTypes[this.removedCount] = type;
            this.removedObjects[this.removedCount++] = last;
            if (last.state !== 'Terminated') events.push(this.event(type, 'update', uri, 'Terminated', parents, datetime));
            events.push(this.event(type, 'delete', uri, 'Terminated', parents, datetime));
            this.parentsByUri.delete(uri);
            changes.forget(uri);
          });
        }
      }
      changes.reset();
    }
    for (const action of this.transitions.takeSucceeded()) events.push(...this.finishAction(action, 'Success'));
    return events;
  }

  /**
   * An object the last flush removed, as its `Terminated` event shows it: its last fields, and a
   * stack's destruction dated (still the removal's flush: the next one forgets them). A linear
   * search: read once per removal (by the retention, at its `Terminated`), and a flush removes few.
   */
  private removedObject(type: ObjectType, uuid: string): RestObject | undefined {
    for (let i = 0; i < this.removedCount; i++) {
      const object = this.removedObjects[i] as RestObject;
      if (this.removedTypes[i] !== type || object.uuid !== uuid) continue;
      // No derived state is `Terminated`: one that is is the copy.
      if (object.state === 'Terminated') return object;
      const copy: RestObject =
        type === 'stack' ? { ...(object as RestStack), state: 'Terminated', destroyed_datetime: this.restDate(this.flushNow) } : ({ ...object, state: 'Terminated' } as RestObject);
      this.removedObjects[i] = copy;
      return copy;
    }
    return undefined;
  }

  private refresh(type: Kind, key: string, changes: ChangeLog): void {
    const { uuid, uri } = (type === 'container' ? this.records.containers.get(key) : undefined) ?? this.identities.id(type, key);
    const next = deriveObject(this.view, type, key, uri, uuid);
    const store = this.store[type] as Map<string, RestObject>;
    const previous = store.get(uuid);
    if (!next) {
      this.transitions.endAny(uri);
      if (!previous) return;
      store.delete(uuid);
      this.identities.removed(type, key, uri);
      // Born and gone within one flush: clients never heard of it.
      if (!changes.remove(type, previous)) {
        this.parentsByUri.delete(uri);
        changes.forget(uri);
      }
      this.propagate(type, key, previous);
      return;
    }
    if (type === 'container') this.recount(key);
    if (previous && sameObject(previous, next)) return;
    store.set(uuid, next);
    const before = this.parentsByUri.get(uri);
    // Parents follow from the links (service, stack, node, node cluster), which seldom change.
    const parents = before && previous && sameLinks(previous, next) ? before : parentsFor(this.view, type, key, next);
    if (parents !== before) this.parentsByUri.set(uri, parents);
    if (!previous) {
      this.identities.created(type, key, uri);
      changes.create(type, next);
    } else changes.update(type, next, isNews(previous, next, before, parents));
    // What aggregates an object counts its state (its membership is marked where it changes).
    if (type !== 'container' && (!previous || previous.state !== next.state)) this.propagate(type, key, next);
  }

  /**
   * A service counts its containers as running, stopped or starting, by their engine status (a
   * stop under way, or a Terminating container still up, counts as before): it is re-derived only
   * when that changes. So is a stack that counts containers outside any service itself.
   */
  private recount(key: string): void {
    const c = this.records.containers.get(key);
    if (!c || (c.serviceKey === null && c.placement.stack === null)) return;
    const counted = countedAs(c.status);
    if (counted === c.counted) return;
    c.counted = counted;
    if (c.serviceKey !== null) this.identities.mark('service', c.serviceKey);
    else this.identities.mark('stack', c.placement.stack as string);
  }

  /** A changed object changes what aggregates it. */
  private propagate(type: Kind, key: string, object: RestObject): void {
    switch (type) {
      case 'container':
        // Removed (recount covers the living): removeContainer marked its service already.
        return;
      case 'service': {
        const stack = this.records.services.get(key)?.service.stack;
        if (stack) this.identities.mark('stack', stack);
        else {
          const uri = (object as RestService).stack;
          if (uri) this.identities.markUri(uri);
        }
        return;
      }
      case 'node':
        if (this.records.info) this.identities.mark('nodecluster', clusterKeyOf(this.records.info));
        return;
      case 'stack':
      case 'nodecluster':
        return;
    }
  }

  // ---- formatting ----------------------------------------------------------------------------------

  /** Event dates have whole seconds: one formatting per second, not per event. */
  eventDatetime(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== this.lastEventSecond) {
      this.lastEventSecond = second;
      this.lastEventDatetime = formatEventDatetime(second * 1000);
    }
    return this.lastEventDatetime;
  }

  /** REST dates have whole seconds too, and engine times repeat (a container's start, each derive). */
  restDate(ms: number): string {
    const second = Math.floor(ms / 1000);
    let text = this.restDates.get(second);
    if (text === undefined) {
      if (this.restDates.size >= 4096) this.restDates.clear();
      text = formatRestDate(second * 1000);
      this.restDates.set(second, text);
    }
    return text;
  }

  event(type: ObjectType, action: EventAction, uri: string, state: State, parents: readonly string[], datetime: string): DockerCloudEvent {
    return { type, action, parents, resource_uri: uri, state, uuid: this.randomUuid(), datetime };
  }
}

// ---- comparisons ---------------------------------------------------------------------------------

/** Field by field; arrays element by element (derived objects have the same keys, in the same order). */
function sameObject(a: RestObject, b: RestObject): boolean {
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  for (const key in y) {
    const p = x[key];
    const q = y[key];
    if (p === q) continue;
    if (!Array.isArray(p) || !Array.isArray(q) || p.length !== q.length) return false;
    for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return false;
  }
  return true;
}

/**
 * Whether a change is worth an `update` event: a new state, new parents or a new name. Counters,
 * member lists and dates change silently (the REST view has them), as Docker Cloud's stream and
 * the simulator do: consumers act on states, and a node's container count is no news.
 */
function isNews(previous: RestObject, next: RestObject, parentsBefore: readonly string[] | undefined, parents: readonly string[]): boolean {
  if (previous.state !== next.state) return true;
  if ((previous as { name?: unknown }).name !== (next as { name?: unknown }).name) return true;
  if (!parentsBefore || parentsBefore.length !== parents.length) return true;
  for (let i = 0; i < parents.length; i++) if (parents[i] !== parentsBefore[i]) return true;
  return false;
}

/** The fields an object's parents derive from. */
function sameLinks(a: RestObject, b: RestObject): boolean {
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  return x.service === y.service && x.stack === y.stack && x.node === y.node && x.node_cluster === y.node_cluster;
}
