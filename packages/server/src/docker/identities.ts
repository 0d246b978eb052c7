import { resourceUriFor } from '@events/core';
import { DirtyQueue } from './change-log.js';
import type { Kind } from './docker-records.js';
import { dockerUuid } from './docker-uuid.js';

export interface Identity {
  readonly uuid: string;
  readonly uri: string;
}

/**
 * The names the mapper's parts share: each engine identity's uuid and resource URI (hashed and
 * formatted once, not per event), which Docker Cloud objects exist now, and which engine
 * identities an input touched and so must be re-derived at the next flush.
 *
 * @example
 * identities.mark('service', 'c:shop/web'); // the next flush re-derives it
 * identities.uri('service', 'c:shop/web'); // '/api/app/v1/acme/service/<uuid>/'
 */
export class Identities {
  /** Engine identities to re-derive, by kind. */
  readonly dirty: Record<Kind, DirtyQueue> = {
    container: new DirtyQueue(),
    service: new DirtyQueue(),
    stack: new DirtyQueue(),
    node: new DirtyQueue(),
    nodecluster: new DirtyQueue(),
  };
  /** The engine identity of every Docker Cloud object that exists, by resource URI. */
  private readonly existing = new Map<string, { readonly type: Kind; readonly key: string }>();
  private readonly ids: Record<Kind, Map<string, Identity>> = {
    container: new Map(),
    service: new Map(),
    stack: new Map(),
    node: new Map(),
    nodecluster: new Map(),
  };

  constructor(private readonly namespace: string) {}

  id(type: Kind, key: string): Identity {
    const cache = this.ids[type];
    let id = cache.get(key);
    if (id === undefined) {
      const name = type === 'nodecluster' ? key : key.startsWith('c:') ? `compose:${key.slice(2)}` : key.startsWith('s:') ? key.slice(2) : key;
      const uuid = dockerUuid(type, name);
      id = { uuid, uri: resourceUriFor(type, uuid, this.namespace) };
      cache.set(key, id);
    }
    return id;
  }

  uuidOf(type: Kind, key: string): string {
    return this.id(type, key).uuid;
  }

  uri(type: Kind, key: string): string {
    return this.id(type, key).uri;
  }

  mark(type: Kind, key: string): void {
    this.dirty[type].add(key);
  }

  /** Marks the engine identity of an existing object; nothing for one that does not exist. */
  markUri(uri: string): void {
    const identity = this.existing.get(uri);
    if (identity) this.dirty[identity.type].add(identity.key);
  }

  /** Marks every engine identity that has a Docker Cloud object (a re-list re-derives them all). */
  markAllExisting(): void {
    for (const { type, key } of this.existing.values()) this.dirty[type].add(key);
  }

  identityOf(uri: string): { readonly type: Kind; readonly key: string } | undefined {
    return this.existing.get(uri);
  }

  created(type: Kind, key: string, uri: string): void {
    this.existing.set(uri, { type, key });
  }

  /**
   * The object is gone. Containers and services churn (every `docker run` is a new id), so their
   * cached names go too, which keeps memory bounded; stacks, nodes and clusters are few.
   */
  removed(type: Kind, key: string, uri: string): void {
    this.existing.delete(uri);
    if (type === 'container' || type === 'service') this.ids[type].delete(key);
    this.dirty[type].forget(key);
  }
}
