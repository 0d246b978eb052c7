import type { StoredFields } from './fields-cache.js';
import { type Recording, recordingStart } from './recording.js';

/** Why a replay shows no REST fields for an object: it asks no server, and the recording never saw it. */
export const NOT_RECORDED = 'not in the recording';

/** What a replay's view may read of an object: its fields as of a time of the recording (epoch ms). */
export type RecordedFields = (uri: string, at: number) => StoredFields;

type Sighting = Extract<StoredFields, { readonly status: 'ok' }>;

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every object a recorded REST answer holds: a GET of one object, or each object of a list page. */
function objectsOf(body: string): { readonly objects: readonly Readonly<Record<string, unknown>>[]; readonly listed: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { objects: [], listed: false };
  }
  if (!isRecord(value)) return { objects: [], listed: false };
  if (Array.isArray(value.objects)) return { objects: value.objects.filter(isRecord), listed: true };
  return { objects: [value], listed: false };
}

/**
 * The REST fields a recording holds, for a replay's view to read instead of sending a GET that
 * only a server could answer: every successful GET of an object, and every list page that held
 * it (each object of a recording was listed at its start, or fetched by the recorded view).
 * Asked at a time of the replay's clock, it gives the fields as the recording last saw them at
 * or before it, with that time (`at`), so that a replay shows the same whenever it is watched;
 * asked before the recording first saw the object (a container created by an event, whose GET
 * the recorded view sent just after), the first sight. An object the recording never saw is
 * `unavailable`, `not in the recording`. The bodies are parsed on the first question, once.
 *
 * @example
 * const fieldsAt = createRecordedFields(recording);
 * fieldsAt('/api/app/v1/demo/service/46ef…/', port.recordedTime()) // { status: 'ok', at: …, fields: { name: 'cron', … }, listed: true }
 */
export function createRecordedFields(recording: Recording): RecordedFields {
  const origin = recordingStart(recording.header);
  let index: Map<string, Sighting[]> | null = null;
  const build = (): Map<string, Sighting[]> => {
    const sightings = new Map<string, Sighting[]>();
    for (const step of recording.steps) {
      if (step.kind !== 'http' || step.method !== 'GET' || !('status' in step) || step.status !== 200) continue;
      const { objects, listed } = objectsOf(step.body);
      for (const fields of objects) {
        const uri = fields.resource_uri;
        if (typeof uri !== 'string') continue;
        // One object per sighting: the cache sees an unchanged answer by identity and publishes nothing.
        const sighting: Sighting = { status: 'ok', at: origin + step.t, fields, ...(listed ? { listed: true } : {}) };
        const list = sightings.get(uri);
        if (list === undefined) sightings.set(uri, [sighting]);
        else list.push(sighting);
      }
    }
    // In time order (steps are; a wall clock set back while recording is not).
    for (const list of sightings.values()) list.sort((a, b) => a.at - b.at);
    return sightings;
  };
  return (uri, at) => {
    index ??= build();
    const list = index.get(uri);
    if (list === undefined) return { status: 'unavailable', at, reason: NOT_RECORDED };
    let found = list[0] as Sighting;
    for (const sighting of list) {
      if (sighting.at > at) break;
      found = sighting;
    }
    return found;
  };
}
