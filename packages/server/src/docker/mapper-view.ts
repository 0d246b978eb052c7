import type { RestNode, RestService } from '@events/core';
import type { DeriveView } from './docker-derive.js';
import type { Identities } from './identities.js';
import type { EngineInfo } from './docker-model.js';
import type { Kind, Overlay } from './docker-records.js';
import type { EngineRecords } from './engine-records.js';
import type { Transitions } from './transitions.js';

/** What the view reads of the Docker Cloud side. */
interface CloudSide {
  readonly store: { readonly service: ReadonlyMap<string, RestService>; readonly node: ReadonlyMap<string, RestNode> };
  readonly flushNow: number;
  restDate(ms: number): string;
}

/**
 * A mapper's records, identities and transitions as docker-derive.ts and docker-operations.ts read
 * them: live (the maps are handed over as they are, never replaced) and read-only.
 *
 * One class for every mapper, its methods on the prototype: a view built per mapper from an object
 * literal with getters and arrow functions gave every mapper's view its own hidden class and
 * closures, and the deriving functions' call sites went megamorphic (a first listing of 1,000
 * containers took 7 ms instead of 2.7 in bench/docker-mapper.bench.ts, which makes a mapper per
 * listing).
 */
export class MapperView implements DeriveView {
  readonly nodes: DeriveView['nodes'];
  readonly services: DeriveView['services'];
  readonly containers: DeriveView['containers'];
  readonly serviceContainers: DeriveView['serviceContainers'];
  readonly stackContainers: DeriveView['stackContainers'];
  readonly nodeContainers: DeriveView['nodeContainers'];
  readonly stackServices: DeriveView['stackServices'];
  readonly restServices: DeriveView['restServices'];
  readonly restNodes: DeriveView['restNodes'];
  readonly overlays: DeriveView['overlays'];
  readonly memberUris: DeriveView['memberUris'];

  constructor(
    private readonly records: EngineRecords,
    private readonly identities: Identities,
    private readonly transitions: Transitions,
    private readonly cloud: CloudSide,
  ) {
    this.nodes = records.nodes;
    this.services = records.services;
    this.containers = records.containers;
    this.serviceContainers = records.serviceContainers;
    this.stackContainers = records.stackContainers;
    this.nodeContainers = records.nodeContainers;
    this.stackServices = records.stackServices;
    this.restServices = cloud.store.service;
    this.restNodes = cloud.store.node;
    this.overlays = transitions.overlays;
    this.memberUris = records.memberUris;
  }

  // `info` and `lost` are reassigned, so they are read through.
  get info(): EngineInfo | null {
    return this.records.info;
  }

  get lost(): boolean {
    return this.records.lost;
  }

  uri(type: Kind, key: string): string {
    return this.identities.uri(type, key);
  }

  uuidOf(type: Kind, key: string): string {
    return this.identities.uuidOf(type, key);
  }

  restDate(ms: number): string {
    return this.cloud.restDate(ms);
  }

  overlayOf(uri: string, done: (overlay: Overlay) => boolean): Overlay | undefined {
    return this.transitions.overlayOf(uri, done, this.cloud.flushNow);
  }

  childrenDone(overlay: Overlay, self: string): boolean {
    return this.transitions.childrenDone(overlay, self);
  }
}
