import { closeSync, createWriteStream, fstatSync, ftruncateSync, openSync, unlinkSync, type WriteStream } from 'node:fs';

/**
 * Lines held back before a recording is kept: past this it is kept anyway. A start that fails
 * writes a few lines a connection attempt; this much is a session, not a failed start.
 */
export const HELD_LIMIT_BYTES = 1024 * 1024;

/** What became of the file when the recording ended. */
export type RecordingEnd =
  /** The recording is in the file. */
  | 'written'
  /** Nothing was kept, and the file this made is gone. */
  | 'removed'
  /** Nothing was kept, and the file `--overwrite` was to replace is as it was. */
  | 'untouched';

/** The file `--record FILE` writes: see openRecordingFile. */
export interface RecordingFile {
  /** One line of the recording, without its newline. */
  write(line: string): void;
  /** The recording is worth keeping (the source was live once): what was held back goes to the file, and every line after it at once. */
  keep(): void;
  /** Why writing the file failed (a full disk), once it has: the lines after it are lost. */
  readonly failure: Error | null;
  /**
   * Ends the recording: one kept (or kept now, with `keep`) is written to its end; one never
   * kept leaves no trace: the file made for it is removed, a file to be overwritten is left as
   * it was.
   */
  close(keep: boolean): Promise<RecordingEnd>;
}

/**
 * Opens the file a session is recorded to. The name is claimed at once, so that an existing file
 * is refused (EEXIST, and nothing is created) before anything connects, and a place that cannot
 * be written fails at once; with `overwrite` an existing file is opened but not yet emptied.
 * Nothing is written until the recording is kept (keep(), or close(true)): until then the lines
 * wait in memory, so a start that fails (credentials refused, no events server at that host)
 * leaves no file, or the earlier recording --overwrite was to replace. A kept recording is
 * written as it goes (readable with `tail -f`, and what a killed process had said is there).
 *
 * @throws the error of opening the file (EEXIST without `overwrite`, EACCES, EISDIR, ENOENT)
 */
export function openRecordingFile(path: string, overwrite: boolean): RecordingFile {
  let fd: number;
  /** Made here, so ours to remove; else an existing file that --overwrite replaces once kept. */
  let created = true;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if (!overwrite || (error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Opened for writing without emptying it: it is emptied only when the recording is kept.
    fd = openSync(path, 'r+');
    created = false;
  }
  let held: string[] | null = [];
  let heldBytes = 0;
  let out: WriteStream | null = null;
  let closed = false;
  let failure: Error | null = null;

  const keep = () => {
    if (held === null || closed) return;
    if (!created) {
      // A regular file is emptied; a device or pipe (--record /dev/stderr) has nothing to empty.
      // Called from the tree's listeners: a failure is said at the end, never thrown there.
      try {
        if (fstatSync(fd).isFile()) ftruncateSync(fd, 0);
      } catch (error) {
        failure ??= error as Error;
      }
    }
    out = createWriteStream(path, { fd, autoClose: true });
    // A write error (a full disk) ends the recording, not the session: the view or the lines go
    // on, and the failure is said at the end.
    out.on('error', (error) => {
      failure ??= error;
    });
    const lines = held;
    held = null;
    if (lines.length > 0) out.write(`${lines.join('\n')}\n`);
  };

  return {
    get failure() {
      return failure;
    },
    write(line) {
      if (closed) return;
      if (held === null) {
        if (out?.writable) out.write(`${line}\n`);
        return;
      }
      held.push(line);
      heldBytes += line.length + 1;
      if (heldBytes > HELD_LIMIT_BYTES) keep();
    },
    keep,
    async close(keepIt) {
      if (closed) return held === null ? 'written' : created ? 'removed' : 'untouched';
      if (keepIt) keep();
      closed = true;
      const stream = out;
      if (stream !== null) {
        // 'close' comes last, after an 'error' (which says why the file is incomplete).
        await new Promise<void>((resolve) => {
          if (stream.closed) resolve();
          else {
            stream.once('close', () => resolve());
            stream.end();
          }
        });
        return 'written';
      }
      held = [];
      closeSync(fd);
      if (!created) return 'untouched';
      try {
        unlinkSync(path);
      } catch {
        // Gone already (removed by hand): nothing is left either way.
      }
      return 'removed';
    },
  };
}
