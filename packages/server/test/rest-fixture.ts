import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ObjectType,
  type RestAction,
  type RestContainer,
  type RestNode,
  type RestNodeCluster,
  type RestObjectByType,
  type RestService,
  type RestStack,
  resourceUriFor,
} from '@events/core';
import { createAuthenticator } from '../src/authenticate-request.js';
import { requestUrl } from '../src/create-events-server.js';
import { createLoginThrottle } from '../src/login-throttle.js';
import { silentLogger } from '../src/logger.js';
import { createMemoryEventBus } from '../src/memory-event-bus.js';
import { createRestHandler, type RestHandlerDeps } from '../src/rest-api.js';
import type { CloudSource, OperationRequest, OperationResult, SourceEvent, SourceHealth } from '../src/source.js';
import { createUserDirectory, type UserConfig } from '../src/user-directory.js';

type Store = Map<string, { [T in ObjectType]: Map<string, RestObjectByType[T]> }>;

/**
 * A tiny in-memory CloudSource for REST tests: objects are added by hand, operations change
 * the state at once and emit the events a real source would (action create, object update).
 */
export interface FixtureSource extends CloudSource {
  add<T extends ObjectType>(namespace: string, type: T, object: RestObjectByType[T]): void;
  readonly operations: OperationRequest[];
  setHealth(health: SourceHealth): void;
  /** Make `operate` refuse with this answer (as a source does for e.g. an unsupported scale). */
  refuseNext(result: Extract<OperationResult, { ok: false }>): void;
  /**
   * While true, operations leave their action `Pending` and the object unchanged, as a source
   * whose lifecycles run later does; `finishActions` then marks every action `Success`.
   */
  lagging: boolean;
  finishActions(): void;
}

let counter = 0;
/** A fresh, ordered, uuid-shaped id. */
export function nextUuid(): string {
  counter += 1;
  return `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
}

export function makeStack(namespace: string, name: string, state: RestStack['state'] = 'Running'): RestStack {
  const uuid = nextUuid();
  return { uuid, resource_uri: resourceUriFor('stack', uuid, namespace), name, state, services: [], deployed_datetime: null, destroyed_datetime: null };
}

export function makeService(namespace: string, name: string, stack: RestStack | null, state: RestService['state'] = 'Running'): RestService {
  const uuid = nextUuid();
  return {
    uuid,
    resource_uri: resourceUriFor('service', uuid, namespace),
    name,
    image_name: 'redis:7',
    state,
    stack: stack?.resource_uri ?? null,
    containers: [],
    target_num_containers: 1,
    current_num_containers: 1,
    running_num_containers: state === 'Running' ? 1 : 0,
    stopped_num_containers: 0,
  };
}

export function makeContainer(namespace: string, name: string, service: RestService | null, state: RestContainer['state'] = 'Running'): RestContainer {
  const uuid = nextUuid();
  return {
    uuid,
    resource_uri: resourceUriFor('container', uuid, namespace),
    name,
    image_name: 'redis:7',
    state,
    service: service?.resource_uri ?? null,
    node: null,
    exit_code: null,
    started_datetime: null,
    stopped_datetime: null,
  };
}

export function makeNodeCluster(namespace: string, name: string): RestNodeCluster {
  const uuid = nextUuid();
  return { uuid, resource_uri: resourceUriFor('nodecluster', uuid, namespace), name, state: 'Deployed', nodes: [], target_num_nodes: 1, current_num_nodes: 1, region: null, node_type: null };
}

export function makeNode(namespace: string, cluster: RestNodeCluster): RestNode {
  const uuid = nextUuid();
  return {
    uuid,
    resource_uri: resourceUriFor('node', uuid, namespace),
    state: 'Deployed',
    node_cluster: cluster.resource_uri,
    external_fqdn: null,
    docker_version: null,
    cpu: null,
    memory: null,
    current_num_containers: 0,
    last_seen: null,
  };
}

const RESTING: Readonly<Record<string, string>> = { start: 'Running', stop: 'Stopped', redeploy: 'Running', terminate: 'Terminated', scale: 'Running' };

export function createFixtureSource(): FixtureSource {
  const store: Store = new Map();
  const nsStore = (namespace: string) => {
    let entry = store.get(namespace);
    if (!entry) {
      entry = { stack: new Map(), service: new Map(), container: new Map(), nodecluster: new Map(), node: new Map(), action: new Map() };
      store.set(namespace, entry);
    }
    return entry;
  };
  let emit: ((event: SourceEvent) => void) | null = null;
  let health: SourceHealth = { ok: true, detail: 'ok' };
  let refusal: Extract<OperationResult, { ok: false }> | null = null;
  const operations: OperationRequest[] = [];
  const publish = (namespace: string, type: ObjectType, action: 'create' | 'update', object: { resource_uri: string; state: string }) => {
    emit?.({
      namespace,
      event: { type, action, parents: [], resource_uri: object.resource_uri, state: object.state as never, uuid: nextUuid(), datetime: '2026-11-27T09:00:00Z' },
    });
  };
  return {
    name: 'fixture',
    operations,
    async start(sink) {
      emit = sink;
    },
    async stop() {
      emit = null;
    },
    add(namespace, type, object) {
      (nsStore(namespace)[type] as Map<string, RestObjectByType[typeof type]>).set(object.uuid, object);
    },
    list(namespace, type) {
      return [...(nsStore(namespace)[type] as Map<string, RestObjectByType[typeof type]>).values()];
    },
    get(namespace, type, uuid) {
      return (nsStore(namespace)[type] as Map<string, RestObjectByType[typeof type]>).get(uuid);
    },
    operate(request) {
      operations.push(request);
      if (refusal) {
        const answer = refusal;
        refusal = null;
        return answer;
      }
      const objects = nsStore(request.namespace)[request.type] as Map<string, RestObjectByType[ObjectType]>;
      const object = objects.get(request.uuid);
      if (!object) return { ok: false, status: 404, detail: 'no such object' };
      if (object.state === 'Terminated') return { ok: false, status: 409, detail: 'terminated' };
      const uuid = nextUuid();
      const action: RestAction = {
        uuid,
        resource_uri: resourceUriFor('action', uuid, null),
        state: this.lagging ? 'Pending' : 'Success',
        object: object.resource_uri,
        action: `${request.type} ${request.operation}`,
        method: request.method,
        path: request.path,
        start_date: null,
        end_date: null,
        user: request.user,
        is_user_action: true,
        can_be_canceled: false,
      };
      nsStore(request.namespace).action.set(uuid, action);
      publish(request.namespace, 'action', 'create', action);
      if (this.lagging) return { ok: true, action };
      const updated = {
        ...object,
        state: RESTING[request.operation],
        ...(request.targetNumContainers !== undefined ? { target_num_containers: request.targetNumContainers } : {}),
      } as RestObjectByType[ObjectType];
      objects.set(request.uuid, updated);
      publish(request.namespace, request.type, 'update', updated);
      return { ok: true, action };
    },
    lagging: false,
    finishActions() {
      for (const entry of store.values()) for (const [uuid, action] of entry.action) entry.action.set(uuid, { ...action, state: 'Success' });
    },
    health: () => health,
    setHealth(next) {
      health = next;
    },
    refuseNext(result) {
      refusal = result;
    },
  };
}

export interface RestFixture {
  readonly url: string;
  readonly source: FixtureSource;
  readonly bus: ReturnType<typeof createMemoryEventBus>;
  /** `Authorization` header values per username. */
  auth(username: string): string;
  close(): Promise<void>;
}

export const FIXTURE_USERS: readonly UserConfig[] = [
  { username: 'alice', apikey: 'alice-key-123', namespaces: ['acme'] },
  { username: 'bob', apikey: 'bob-key-12345' },
];

/** The REST handler alone, on a loopback port, over a fixture source wired to a memory bus. */
export async function startRestFixture(options: Partial<Pick<RestHandlerDeps, 'maxBodyBytes' | 'bodyTimeoutMs' | 'logger'>> & { maxFailures?: number } = {}): Promise<RestFixture> {
  const source = createFixtureSource();
  const bus = createMemoryEventBus();
  await source.start(({ namespace, event }) => bus.publish(namespace, event));
  const directory = createUserDirectory(FIXTURE_USERS);
  const authenticator = createAuthenticator({ directory, throttle: createLoginThrottle({ maxFailures: options.maxFailures ?? 1000 }) });
  const handler = createRestHandler({ source, directory, authenticator, bus, logger: silentLogger, ...options });
  const server: Server = createServer((req, res) => {
    const url = requestUrl(req.url);
    if (url instanceof URL) handler(req, res, url);
    else res.writeHead(400).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const keys = new Map(FIXTURE_USERS.map((user) => [user.username, user.apikey]));
  return {
    url: `http://127.0.0.1:${port}`,
    source,
    bus,
    auth: (username) => `Basic ${Buffer.from(`${username}:${keys.get(username) ?? 'wrong-key'}`).toString('base64')}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
