import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HELD_LIMIT_BYTES, openRecordingFile } from './recording-file.js';

const dir = mkdtempSync(join(tmpdir(), 'events-recording-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fresh = () => join(dir, `r${++files}.ndjson`);

describe('openRecordingFile', () => {
  it('claims the name at once, writes nothing until kept, then what it held and every later line in order', async () => {
    const path = fresh();
    const file = openRecordingFile(path, false);
    expect(readFileSync(path, 'utf8')).toBe('');
    file.write('header');
    file.write('connect');
    expect(readFileSync(path, 'utf8')).toBe('');
    file.keep();
    file.write('frame');
    expect(await file.close(false)).toBe('written'); // kept once: kept whatever the end
    expect(readFileSync(path, 'utf8')).toBe('header\nconnect\nframe\n');
  });

  it('leaves no file it made when the recording is not kept', async () => {
    const path = fresh();
    const file = openRecordingFile(path, false);
    file.write('header');
    expect(await file.close(false)).toBe('removed');
    expect(existsSync(path)).toBe(false);
  });

  it('writes what it held when ended normally without having been kept', async () => {
    const path = fresh();
    const file = openRecordingFile(path, false);
    file.write('header');
    expect(await file.close(true)).toBe('written');
    expect(readFileSync(path, 'utf8')).toBe('header\n');
  });

  it('refuses an existing file without overwrite, leaving it as it was', () => {
    const path = fresh();
    writeFileSync(path, 'earlier\n');
    expect(() => openRecordingFile(path, false)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(readFileSync(path, 'utf8')).toBe('earlier\n');
  });

  it('with overwrite, leaves an existing file as it was until kept, and then replaces all of it (nothing of a longer one left after the end)', async () => {
    const path = fresh();
    const earlier = `${'an earlier, longer recording\n'.repeat(10)}`;
    writeFileSync(path, earlier);
    const failed = openRecordingFile(path, true);
    failed.write('header');
    expect(await failed.close(false)).toBe('untouched');
    expect(readFileSync(path, 'utf8')).toBe(earlier);

    const kept = openRecordingFile(path, true);
    kept.write('header');
    expect(readFileSync(path, 'utf8')).toBe(earlier);
    kept.keep();
    kept.write('frame');
    expect(await kept.close(false)).toBe('written');
    expect(readFileSync(path, 'utf8')).toBe('header\nframe\n');
  });

  it('says why the file could not be written (a full disk), and goes on taking lines', async () => {
    const file = openRecordingFile('/dev/full', true);
    expect(file.failure).toBeNull();
    file.write('header');
    file.keep();
    file.write('frame');
    expect(await file.close(true)).toBe('written');
    expect(file.failure).toMatchObject({ code: 'ENOSPC' });
  });

  it('keeps by itself once it holds more than HELD_LIMIT_BYTES: a start that long is a session', async () => {
    const path = fresh();
    const file = openRecordingFile(path, false);
    const line = 'x'.repeat(1023);
    for (let i = 0; i * 1024 <= HELD_LIMIT_BYTES; i++) file.write(line);
    expect(await file.close(false)).toBe('written');
    expect(readFileSync(path, 'utf8').length).toBeGreaterThan(HELD_LIMIT_BYTES);
  });
});
