import * as z from 'zod/mini';
import { describeIssues } from './event-schema.js';
import { err, EventsError, ok, type Result } from './events-error.js';
import { normalizeState, type ObjectType, type StateOf } from './object-types.js';
import { typeOfUri } from './resource-uri.js';
import { quoted, withMessages } from './schema-messages.js';

/** `{"meta":{...},"objects":[...]}`: Docker Cloud's list envelope. */
export interface RestListMeta {
  readonly limit: number;
  readonly offset: number;
  readonly total_count: number;
  /** Path of the next page, starting with /api/ (the Go SDK strips the first five characters). */
  readonly next: string | null;
  readonly previous: string | null;
}

export interface RestList<T> {
  readonly meta: RestListMeta;
  readonly objects: readonly T[];
}

interface RestBase<T extends ObjectType> {
  readonly uuid: string;
  readonly resource_uri: string;
  readonly state: StateOf<T>;
}

export interface RestStack extends RestBase<'stack'> {
  readonly name: string;
  readonly services: readonly string[];
  readonly deployed_datetime: string | null;
  readonly destroyed_datetime: string | null;
}

export interface RestService extends RestBase<'service'> {
  readonly name: string;
  readonly image_name: string;
  readonly stack: string | null;
  readonly containers: readonly string[];
  readonly target_num_containers: number;
  readonly current_num_containers: number;
  readonly running_num_containers: number;
  readonly stopped_num_containers: number;
}

export interface RestContainer extends RestBase<'container'> {
  readonly name: string;
  readonly image_name: string;
  readonly service: string | null;
  readonly node: string | null;
  readonly exit_code: number | null;
  readonly started_datetime: string | null;
  readonly stopped_datetime: string | null;
}

export interface RestNodeCluster extends RestBase<'nodecluster'> {
  readonly name: string;
  readonly nodes: readonly string[];
  readonly target_num_nodes: number;
  readonly current_num_nodes: number;
  readonly region: string | null;
  readonly node_type: string | null;
}

export interface RestNode extends RestBase<'node'> {
  readonly node_cluster: string | null;
  readonly external_fqdn: string | null;
  readonly docker_version: string | null;
  readonly cpu: number | null;
  readonly memory: number | null;
  readonly current_num_containers: number;
  readonly last_seen: string | null;
}

export interface RestAction extends RestBase<'action'> {
  /** The resource URI of the object the action applies to. */
  readonly object: string;
  /** Human name of the operation, e.g. "Service Scale". */
  readonly action: string;
  readonly method: string;
  readonly path: string;
  readonly start_date: string | null;
  readonly end_date: string | null;
  readonly user: string;
  readonly is_user_action: boolean;
  readonly can_be_canceled: boolean;
}

export interface RestObjectByType {
  stack: RestStack;
  service: RestService;
  container: RestContainer;
  nodecluster: RestNodeCluster;
  node: RestNode;
  action: RestAction;
}

export type RestObject = RestObjectByType[ObjectType];

const text = () => z.string(withMessages);
const uri = text().check(z.startsWith('/api/'));
const int = () => z.number(withMessages).check(z.int());
const nullableString = z._default(z.nullable(text()), null);
const nullableUri = z._default(z.nullable(uri), null);
const uris = z._default(z.array(uri, withMessages), []);
const zero = z._default(int(), 0);

function withState<T extends ObjectType>(type: T) {
  return z.pipe(
    text(),
    z.transform((state: string, ctx) => {
      const canonical = normalizeState(type, state);
      if (canonical === undefined) {
        ctx.issues.push({ code: 'custom', input: state, message: `${quoted(state)} is not a ${type} state` });
        return z.NEVER;
      }
      return canonical;
    }),
  );
}

// Extra fields are kept (loose): the server may send more than the main fields, and the TUI's
// detail pane shows what it gets.
export const restObjectSchemas = {
  stack: z.looseObject({
    uuid: text(), resource_uri: uri, state: withState('stack'), name: text(),
    services: uris, deployed_datetime: nullableString, destroyed_datetime: nullableString,
  }, withMessages),
  service: z.looseObject({
    uuid: text(), resource_uri: uri, state: withState('service'), name: text(), image_name: z._default(text(), ''),
    stack: nullableUri, containers: uris,
    target_num_containers: zero, current_num_containers: zero,
    running_num_containers: zero, stopped_num_containers: zero,
  }, withMessages),
  container: z.looseObject({
    uuid: text(), resource_uri: uri, state: withState('container'), name: text(), image_name: z._default(text(), ''),
    service: nullableUri, node: nullableUri, exit_code: z._default(z.nullable(int()), null),
    started_datetime: nullableString, stopped_datetime: nullableString,
  }, withMessages),
  nodecluster: z.looseObject({
    uuid: text(), resource_uri: uri, state: withState('nodecluster'), name: text(), nodes: uris,
    target_num_nodes: zero, current_num_nodes: zero,
    region: nullableString, node_type: nullableString,
  }, withMessages),
  node: z.looseObject({
    uuid: text(), resource_uri: uri, state: withState('node'), node_cluster: nullableUri,
    external_fqdn: nullableString, docker_version: nullableString, cpu: z._default(z.nullable(z.number(withMessages)), null),
    memory: z._default(z.nullable(z.number(withMessages)), null), current_num_containers: zero, last_seen: nullableString,
  }, withMessages),
  action: z.looseObject({
    uuid: text(), resource_uri: uri, state: withState('action'), object: uri, action: text(),
    method: z._default(text(), 'POST'), path: z._default(text(), ''), start_date: nullableString, end_date: nullableString,
    user: z._default(text(), ''), is_user_action: z._default(z.boolean(withMessages), true),
    can_be_canceled: z._default(z.boolean(withMessages), false),
  }, withMessages),
} as const;

export const restListMetaSchema = z.object({
  limit: z.number(withMessages).check(z.int(), z.nonnegative()),
  offset: z.number(withMessages).check(z.int(), z.nonnegative()),
  total_count: z.number(withMessages).check(z.int(), z.nonnegative()),
  next: z.nullable(text()),
  previous: z.nullable(text()),
}, withMessages);

/** Validates one page of a REST list of `type`. Never throws. */
export function parseRestList<T extends ObjectType>(type: T, value: unknown): Result<RestList<RestObjectByType[T]>> {
  const schema = z.object({ meta: restListMetaSchema, objects: z.array(restObjectSchemas[type], withMessages) }, withMessages);
  const result = schema.safeParse(value);
  if (!result.success) {
    return err(new EventsError('protocol', `invalid ${type} list: ${describeIssues(result.error, '(body)')}`, { cause: result.error }));
  }
  return ok(result.data as unknown as RestList<RestObjectByType[T]>);
}

/** Validates one REST object of `type`. Never throws. */
export function parseRestObject<T extends ObjectType>(type: T, value: unknown): Result<RestObjectByType[T]> {
  const result = restObjectSchemas[type].safeParse(value);
  if (!result.success) {
    return err(new EventsError('protocol', `invalid ${type}: ${describeIssues(result.error, '(body)')}`, { cause: result.error }));
  }
  return ok(result.data as unknown as RestObjectByType[T]);
}

/**
 * The parents an event about this object carries (protocol.md §7), derived from its REST fields.
 * A container's stack and node cluster come from its service and node, so `lookup` resolves them.
 */
export function parentsOfRestObject(object: RestObject & { readonly resource_uri: string }, type: ObjectType, lookup: (uri: string) => RestObject | undefined): string[] {
  switch (type) {
    case 'stack':
    case 'nodecluster':
      return [];
    case 'service': {
      const stack = (object as RestService).stack;
      return stack ? [stack] : [];
    }
    case 'node': {
      const cluster = (object as RestNode).node_cluster;
      return cluster ? [cluster] : [];
    }
    case 'container': {
      const c = object as RestContainer;
      const parents: string[] = [];
      if (c.service) {
        parents.push(c.service);
        const stack = (lookup(c.service) as RestService | undefined)?.stack;
        if (stack) parents.push(stack);
      }
      if (c.node) {
        parents.push(c.node);
        const cluster = (lookup(c.node) as RestNode | undefined)?.node_cluster;
        if (cluster) parents.push(cluster);
      }
      return parents;
    }
    case 'action': {
      const target = (object as RestAction).object;
      const targetObject = lookup(target);
      const targetType = targetObject ? typeOfUri(target) : undefined;
      return targetObject && targetType ? [target, ...parentsOfRestObject(targetObject, targetType, lookup)] : [target];
    }
  }
}
