import { createFilter } from '@events/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRecording, recordFilter, replayFilter, withoutCredentials } from './recording.js';

const HEADER = '{"recording":"events","version":2,"startedAt":"2026-11-27T09:00:00.000Z","streamHost":"ws://h/","restHost":"http://h/"}';

describe('recording format', () => {
  it('names the line of a broken recording', () => {
    expect(() => parseRecording('')).toThrow(/empty, not a recording/);
    expect(() => parseRecording('{"hello":1}\n', 'f.ndjson')).toThrow(/^f\.ndjson:1: not an events recording/);
    // The snapshot format of version 1 is not read.
    expect(() => parseRecording('{"recording":"events","version":1,"startedAt":"x"}\n', 'f')).toThrow(/^f:1: an events recording of version 1; this events reads version 2$/);
    expect(() => parseRecording('{"recording":"events","version":2,"startedAt":"x"}\n', 'f')).toThrow(/^f:1: the header has no "streamHost"/);
    expect(() => parseRecording(`${HEADER}\n{"t":1,"kind":"frame","socket":1,"text":"{}"}\n{"t":2}\n`, 'f')).toThrow(/^f:3: unknown "kind"/);
    expect(() => parseRecording(`${HEADER}\n{"t":-1,"kind":"open","socket":1}\n`, 'f')).toThrow(/^f:2: "t"/);
    expect(() => parseRecording(`${HEADER}\n{"t":1,"kind":"frame","socket":1}\n`, 'f')).toThrow(/^f:2: a "frame" line needs "text"/);
    expect(() => parseRecording(`${HEADER}\n{"t":1,"kind":"http","method":"GET","url":"http://h/"}\n`, 'f')).toThrow(/^f:2: an "http" line needs "status"/);
    // A last line cut short by a killed recorder is ignored...
    expect(parseRecording(`${HEADER}\n{"t":1,"kind":"open","socket":1,"protocol":null}\n{"t":2,"kind":"fr`).steps).toHaveLength(1);
    expect(parseRecording(`${HEADER}\n{"t":1,"kind":"open","socket":1,"protocol":null}\n{"t":2,"kind":"fr\n\n`).steps).toHaveLength(1);
    // ...but only the last: a broken line before it is corruption, also in a file without a final newline.
    expect(() => parseRecording(`${HEADER}\nGARBAGE\n{"t":1,"kind":"open","socket":1,"protocol":null}`, 'f')).toThrow(/^f:2: not JSON$/);
    // Text that is no recording at all (binary, one line without a newline) says so, not "empty".
    expect(() => parseRecording('hello', 'f')).toThrow(/^f:1: not JSON: not an events recording$/);
    expect(() => parseRecording('\u0000\u0000\u0000', 'f')).toThrow(/^f:1: not JSON: not an events recording$/);
    expect(() => parseRecording('\n\n  \n', 'f')).toThrow(/^f: empty, not a recording$/);
  });

  it('strips credentials from URLs and keeps the rest', () => {
    expect(withoutCredentials('ws://h:1/api/audit/v1/events/?auth=Basic%20eDp5&type=service')).toBe('ws://h:1/api/audit/v1/events/?type=service');
    expect(withoutCredentials('http://ann:key@h/api/app/v1/stack/?limit=5&user=ann&token=s3cret')).toBe('http://h/api/app/v1/stack/?limit=5&user=ann');
    expect(withoutCredentials('http://h/x/?ApiKey=s3cret')).toBe('http://h/x/');
    expect(withoutCredentials('not a url?auth=s3cret')).toBe('not a url');
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]{8,20}$/), fc.constantFrom('auth', 'token', 'apikey'), (secret, name) => {
        const url = `wss://host.example/api/audit/v1/events/?${name}=${encodeURIComponent(`Basic ${secret}`)}&type=node`;
        expect(withoutCredentials(url)).not.toContain(secret);
        // Idempotent: the replay keys requests by the same function.
        expect(withoutCredentials(withoutCredentials(url))).toBe(withoutCredentials(url));
      }),
    );
  });

  it('keeps a filter in the header and gives it back', () => {
    const filter = createFilter({ type: ['service', 'container'], parent: '/api/app/v1/ann/stack/5e1b/' });
    const back = replayFilter(JSON.parse(JSON.stringify(recordFilter(filter))));
    expect(back.types).toEqual(filter.types);
    expect(back.objects).toEqual(filter.objects);
    expect(back.parents).toEqual(filter.parents);
  });
});
