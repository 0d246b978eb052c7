import { useEffect, useState } from 'react';

export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

/** The part of a TTY write stream the hook reads. */
export interface SizedStream {
  readonly columns?: number;
  readonly rows?: number;
  on(event: 'resize', listener: () => void): unknown;
  off(event: 'resize', listener: () => void): unknown;
}

const FALLBACK: TerminalSize = { columns: 80, rows: 24 };

function read(stream: SizedStream | undefined): TerminalSize {
  const columns = stream?.columns;
  const rows = stream?.rows;
  return {
    columns: typeof columns === 'number' && columns > 0 ? columns : FALLBACK.columns,
    rows: typeof rows === 'number' && rows > 0 ? rows : FALLBACK.rows,
  };
}

/**
 * The terminal's size, updated on `resize`. Ink 6 re-lays out on resize but does not tell
 * components the height, and the frame must be sized to it (see layoutOf), hence this hook.
 *
 * @example
 * const { columns, rows } = useTerminalSize(useStdout().stdout);
 */
export function useTerminalSize(stream: SizedStream | undefined): TerminalSize {
  const [size, setSize] = useState(() => read(stream));
  useEffect(() => {
    if (stream === undefined) return;
    const onResize = () => {
      const next = read(stream);
      setSize((previous) => (previous.columns === next.columns && previous.rows === next.rows ? previous : next));
    };
    onResize(); // the size may have changed between the first render and now
    stream.on('resize', onResize);
    return () => {
      stream.off('resize', onResize);
    };
  }, [stream]);
  return size;
}
