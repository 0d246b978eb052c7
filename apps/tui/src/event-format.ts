import { type DockerCloudEvent, formatEvent, type HierarchySnapshot, type LiveTree, type LiveTreeSnapshot, typeOfUri, uuidOfUri } from '@events/core';
import { displayName, type FieldsLookup, nameFromFields, shortId, TYPE_LABEL } from './state/format.js';

/**
 * One event as `docker-cloud event` printed it: the frame's JSON, one per line, the seven
 * documented fields in the documented order and nothing else (the extended protocol's
 * `position` is left out, so `| jq` scripts written for Docker Cloud keep working).
 *
 * @example
 * formatEventJson(event) // '{"type":"container","action":"update","parents":[...],"resource_uri":"...","state":"Running","uuid":"...","datetime":"2026-11-27T09:01:33Z"}'
 */
export function formatEventJson(event: DockerCloudEvent): string {
  return formatEvent({ ...event, position: undefined });
}

/**
 * Remembers each object's last state, so a line can say `Starting → Running`. Forgets an
 * object on its delete event.
 */
export interface StateTracker {
  /** The state before this event (null for the first event seen of an object), and records the new one. */
  advance(event: DockerCloudEvent): string | null;
  /** Forgets every state recorded (they may be out of date: events were missed), so `initial` answers again. */
  forget(): void;
}

export function createStateTracker(initial?: (uri: string) => string | undefined): StateTracker {
  const states = new Map<string, string>();
  return {
    advance(event) {
      const uri = event.resource_uri;
      const previous = states.get(uri) ?? initial?.(uri) ?? null;
      if (event.action === 'delete') states.delete(uri);
      else states.set(uri, event.state);
      return previous;
    },
    forget() {
      states.clear();
    },
  };
}

/**
 * A StateTracker for the events of `tree` that a gap in the stream cannot fool. The state before
 * an event is the last one an event of the object said, else the tree's; but when the tree lists
 * again (a reconnect that could not resume: events were missed), what the events said before is
 * forgotten, and while it lists the tree's own states are from before the gap too, so an object
 * no event has spoken of since has no old state (the line says `Starting`, not a wrong
 * `Running → Starting`). When the listing ends, the tree (the lists, and the events that came
 * meanwhile) is the truth again. Call `close` to stop following the tree.
 *
 * @example
 * const { tracker, close } = createTreeStateTracker(tree);
 * tree.onEvent((event) => print(event, tracker.advance(event)));
 */
export function createTreeStateTracker(tree: Pick<LiveTree, 'getSnapshot'> & Partial<Pick<LiveTree, 'subscribe'>>): { readonly tracker: StateTracker; close(): void } {
  // A tree without a sync status (a test's) never lists.
  const listing = () => (tree.getSnapshot() as Partial<LiveTreeSnapshot>).sync?.status === 'listing';
  // The published snapshot still holds the state from before this batch of events.
  const tracker = createStateTracker((uri) => (listing() ? undefined : tree.getSnapshot().tree.get(uri)?.state));
  let wasListing = listing();
  const close =
    tree.subscribe?.(() => {
      const now = listing();
      if (now !== wasListing) tracker.forget();
      wasListing = now;
    }) ?? (() => {});
  return { tracker, close };
}

/**
 * The name a person knows the object of `uri` by, from the snapshot, else from fields fetched
 * later; null when only its id is known (an object seen only through events, or not at all).
 * Cheap enough for every event: a map lookup, no string built when the name is a field.
 *
 * @example
 * knownName(service.resource_uri, snapshot) // 'web'
 * knownName('/api/app/v1/a/container/0b0e3538-aaaa/') // null
 */
export function knownName(uri: string, snapshot?: HierarchySnapshot, fields?: FieldsLookup): string | null {
  const object = snapshot?.get(uri);
  const extra = object?.fields == null ? fields?.(uri) : undefined;
  if (object === undefined) {
    // Not in the tree (a parent of a type the command line's filter leaves out): fetched fields name it.
    const type = typeOfUri(uri);
    return extra == null || type === undefined ? null : nameFromFields(type, extra);
  }
  if (object.fields == null && extra == null) return null;
  const name = displayName(object, extra);
  // displayName falls back on the short id, which is no name (and is what the caller shows anyway).
  return name === shortId(object.uuid) ? null : name;
}

/**
 * The name to show for `uri`: `known` (what was known when its event was logged), else what the
 * snapshot or fetched fields know now, else the short id.
 *
 * @example
 * nameOf(uri, 'web') // 'web', whatever the snapshot says
 * nameOf('/api/app/v1/a/container/0b0e3538-aaaa/', null) // '0b0e3538'
 */
export function nameOf(uri: string, known: string | null, snapshot?: HierarchySnapshot, fields?: FieldsLookup): string {
  return known ?? knownName(uri, snapshot, fields) ?? shortId(uuidOfUri(uri));
}

/** The type of a URI as lines show it (`cluster` for a node cluster), `?` when it is not one. */
export function typeLabelOf(uri: string): string {
  const type = typeOfUri(uri);
  return type === undefined ? '?' : TYPE_LABEL[type];
}

/**
 * `type/name` of a URI: `known` when given, else the name from the snapshot, else from fields
 * fetched later, else the short id.
 *
 * @example
 * describeUri(service.resource_uri, snapshot) // 'service/web'
 */
export function describeUri(uri: string, snapshot?: HierarchySnapshot, fields?: FieldsLookup, known: string | null = null): string {
  return `${typeLabelOf(uri)}/${nameOf(uri, known, snapshot, fields)}`;
}

/**
 * A readable line for `events tail --format plain`: time, type, action, name, old → new state,
 * parents. Objects are named as the live view names them: `names` (what was known when the
 * event came), else the snapshot, else fetched `fields`, else the short id.
 *
 * @example
 * formatEventPlain(event, 'Starting', snapshot)
 * // '2026-11-27T09:01:33Z container   update web-1 Starting → Running  service/web stack/shop node/5f1c cluster/prod'
 */
export function formatEventPlain(
  event: DockerCloudEvent,
  previous: string | null,
  snapshot?: HierarchySnapshot,
  fields?: FieldsLookup,
  names?: ReadonlyMap<string, string>,
): string {
  const name = nameOf(event.resource_uri, names?.get(event.resource_uri) ?? null, snapshot, fields);
  const change = previous !== null && previous !== event.state ? `${previous} → ${event.state}` : event.state;
  const parents = event.parents.map((uri) => describeUri(uri, snapshot, fields, names?.get(uri) ?? null)).join(' ');
  return `${event.datetime} ${TYPE_LABEL[event.type].padEnd(9)} ${event.action.padEnd(6)} ${name} ${change}${parents === '' ? '' : `  ${parents}`}`;
}
