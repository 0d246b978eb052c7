import type { RestObject } from '@events/core';

// The bookkeeping of one DockerMapper flush. Both run for every engine event, so they reuse their
// arrays from flush to flush (counters, no length changes) and never empty a Map or a Set: in V8
// both reallocate their table, and that showed in the mapper's profile.

/**
 * Keys waiting to be re-derived, each at most once, oldest first: a Set whose emptying costs
 * nothing (only the array is reused and the flags are overwritten).
 *
 * @example
 * const dirty = new DirtyQueue();
 * dirty.add('c1'); dirty.add('c1'); dirty.add('c2');
 * for (let key = dirty.next(); key !== undefined; key = dirty.next()) refresh(key); // c1, c2
 */
export class DirtyQueue {
  private readonly keys: string[] = [];
  private head = 0;
  private tail = 0;
  private readonly queued = new Map<string, boolean>();

  get size(): number {
    return this.tail - this.head;
  }

  add(key: string): void {
    if (this.queued.get(key) === true) return;
    this.queued.set(key, true);
    this.keys[this.tail++] = key;
  }

  /** The oldest key, no longer queued; undefined when none is left. */
  next(): string | undefined {
    if (this.head === this.tail) {
      // Slots are reused, not truncated: changing an array's length is slow in V8.
      this.head = this.tail = 0;
      return undefined;
    }
    const key = this.keys[this.head++] as string;
    this.queued.set(key, false);
    return key;
  }

  /** The object is gone: its flag goes too, so the map holds only live keys. */
  forget(key: string): void {
    if (this.queued.get(key) === false) this.queued.delete(key);
  }
}

/**
 * What one flush changed: the objects created, updated and removed, with their types, each once
 * (a create absorbs later updates; a removal cancels a create).
 *
 * @example
 * const changes = new ChangeLog<'container'>();
 * changes.create('container', object);
 * changes.update('container', { ...object, state: 'Running' }, true); // folds into the create
 * changes.eachCreated('container', (o) => emit('create', o)); // once, state Running
 * changes.reset();
 */
export class ChangeLog<K extends string = string> {
  creates = 0;
  updates = 0;
  removes = 0;
  /** By resource URI: 0 nothing yet, i + 1 the i-th create, -(j + 1) the j-th update. */
  private readonly slot = new Map<string, number>();
  private readonly createdTypes: K[] = [];
  private readonly createdObjects: (RestObject | undefined)[] = [];
  private readonly updatedTypes: K[] = [];
  private readonly updatedObjects: (RestObject | undefined)[] = [];
  private readonly removedTypes: K[] = [];
  private readonly removedObjects: (RestObject | undefined)[] = [];

  get count(): number {
    return this.creates + this.updates + this.removes;
  }

  create(type: K, object: RestObject): void {
    this.createdTypes[this.creates] = type;
    this.createdObjects[this.creates++] = object;
    this.slot.set(object.resource_uri, this.creates);
  }

  /** A change worth an event when `news`; a change to an object created in this flush only updates its create. */
  update(type: K, object: RestObject, news: boolean): void {
    const slot = this.slot.get(object.resource_uri) ?? 0;
    if (slot > 0) this.createdObjects[slot - 1] = object;
    else if (slot < 0) this.updatedObjects[-slot - 1] = object;
    else if (news) {
      this.updatedTypes[this.updates] = type;
      this.updatedObjects[this.updates++] = object;
      this.slot.set(object.resource_uri, -this.updates);
    }
  }

  /** Records a removal (with the object as it was); false when it was created in this very flush. */
  remove(type: K, last: RestObject): boolean {
    const uri = last.resource_uri;
    const slot = this.slot.get(uri) ?? 0;
    if (slot !== 0) this.slot.set(uri, 0);
    if (slot > 0) {
      this.createdObjects[slot - 1] = undefined;
      return false;
    }
    if (slot < 0) this.updatedObjects[-slot - 1] = undefined;
    this.removedTypes[this.removes] = type;
    this.removedObjects[this.removes++] = last;
    return true;
  }

  /** Calls `fn` with each create of `type` still standing, in order. */
  eachCreated(type: K, fn: (object: RestObject) => void): void {
    for (let i = 0; i < this.creates; i++) {
      const object = this.createdObjects[i];
      if (object && this.createdTypes[i] === type) fn(object);
    }
  }

  eachUpdated(type: K, fn: (object: RestObject) => void): void {
    for (let i = 0; i < this.updates; i++) {
      const object = this.updatedObjects[i];
      if (object && this.updatedTypes[i] === type) fn(object);
    }
  }

  eachRemoved(type: K, fn: (last: RestObject) => void): void {
    for (let i = 0; i < this.removes; i++) if (this.removedTypes[i] === type) fn(this.removedObjects[i] as RestObject);
  }

  /** Forgets this flush (slots are overwritten, not freed; object references are dropped). */
  reset(): void {
    for (let i = 0; i < this.creates; i++) {
      const object = this.createdObjects[i];
      if (object) this.slot.set(object.resource_uri, 0);
      this.createdObjects[i] = undefined;
    }
    for (let i = 0; i < this.updates; i++) {
      const object = this.updatedObjects[i];
      if (object) this.slot.set(object.resource_uri, 0);
      this.updatedObjects[i] = undefined;
    }
    for (let i = 0; i < this.removes; i++) this.removedObjects[i] = undefined;
    this.creates = this.updates = this.removes = 0;
  }

  /** The object is gone for good: its slot goes too, so the map holds only live objects. */
  forget(uri: string): void {
    this.slot.delete(uri);
  }
}

