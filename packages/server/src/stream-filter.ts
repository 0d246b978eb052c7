import { type EventFilter, EventsError, err, isObjectType, OBJECT_TYPES, ok, parseFilter, type Result, readQuery } from '@events/core';

/** The `type` of an error frame (protocol.md §5), which a stream filter may name like an object type. */
export const ERROR_FRAME_TYPE = 'error';

const FILTER_KEYS: ReadonlySet<string> = new Set(['type', 'object', 'parent', 'parents']);
/** Every value `type` takes on the stream, for the message that refuses another: core's list, and error. */
const STREAM_TYPES = [...OBJECT_TYPES, ERROR_FRAME_TYPE].join(', ');

/**
 * The filter of a stream request (protocol.md §4), as core's parseFilter reads it, except that
 * `type` may also name `error`, the seventh `type` of protocol.md §5. Error frames are not events:
 * the server sends one, right before it closes, to every connection that it closes for a reason,
 * whatever its filter, and Docker Cloud's clients read it whatever they asked for. So `error`
 * in `type` asks for nothing more (`type=container,error` is `type=container`), and `type=error`
 * alone lets no event through: the client hears only of errors, which it would anyway.
 *
 * @example
 * parseStreamFilter('?type=container,error') // ok: types Set { 'container' }
 * parseStreamFilter('?type=error')           // ok: types Set {} (no event matches)
 * parseStreamFilter('?type=volume')          // err: unknown event type "volume" in filter "type"; expected one of nodecluster, ..., action, error
 */
export function parseStreamFilter(search: string): Result<EventFilter> {
  const read = readQuery(search, FILTER_KEYS);
  // Bad percent-encoding: parseFilter says so in its own words.
  if (!read.ok) return parseFilter(search);
  const types = (read.value.get('type') ?? []).flatMap((value) => value.split(','));
  // Refused here, not by parseFilter, whose list of the types it takes leaves out error.
  const unknown = types.find((type) => type !== '' && type !== ERROR_FRAME_TYPE && !isObjectType(type));
  if (unknown !== undefined) {
    return err(new EventsError('invalid-filter', `unknown event type ${JSON.stringify(unknown)} in filter "type"; expected one of ${STREAM_TYPES}`));
  }
  if (!types.includes(ERROR_FRAME_TYPE)) return parseFilter(search);
  const pairs: [string, string][] = [];
  for (const [key, values] of read.value) {
    for (const value of values) {
      pairs.push([key, key === 'type' ? value.split(',').filter((type) => type !== ERROR_FRAME_TYPE).join(',') : value]);
    }
  }
  const parsed = parseFilter(pairs);
  if (!parsed.ok || parsed.value.types !== null) return parsed;
  // Only `error` was asked for: an empty set, which matches no event (null would match them all).
  return ok({ types: new Set(), objects: parsed.value.objects, parents: parsed.value.parents });
}
