// @jsxRuntime automatic (tsx run from the repo root does not read the jsx setting of this package's tsconfig)
import { type InputMode, MAX_SCALE, type StatusMessage } from '../state/view-state.js';
import { Line, type Segment } from './line.js';

export interface StatusLineProps {
  readonly mode: InputMode;
  readonly status: StatusMessage | null;
  readonly filter: string;
  readonly width: number;
  /** The last operation's action, as it goes (`Service Scale ◌ In progress`). */
  readonly action: { readonly text: string; readonly glyph: string; readonly color: string } | null;
}

const HINTS = '? help  / filter  1 2 3 views  p pause  s S r + - T operate  y copy  q quit';

/** The segments of the bottom line: the prompt of the current mode, else the last message, else key hints. */
export function statusSegments(props: Omit<StatusLineProps, 'width'>): Segment[] {
  const { mode } = props;
  switch (mode.kind) {
    case 'filter':
      return [
        { text: `/${props.filter}▏`, color: 'cyan', bold: true },
        { text: '  Enter keeps it · Esc clears it', dim: true },
      ];
    case 'confirm':
      return [
        {
          text:
            mode.request.targetNumContainers === 0
              ? ` SCALE ${mode.request.label} TO 0, removing its containers? `
              : ` ${mode.request.operation.toUpperCase()} ${mode.request.label}? `,
          inverse: true,
          bold: true,
          color: 'red',
        },
        { text: ' y to confirm, n or Esc to cancel', bold: true },
      ];
    case 'scale':
      return [
        { text: `scale ${mode.label} to `, bold: true },
        // A selected (pre-filled) value shows as a block without the caret: typing replaces it.
        mode.selected ? { text: ` ${mode.text} `, inverse: true, bold: true } : { text: ` ${mode.text}▏`, inverse: true },
        { text: ` containers (0–${MAX_SCALE})`, dim: true },
        ...(mode.problem !== null ? [{ text: ` · ${mode.problem}`, color: 'red', bold: true }] : []),
        { text: ' · Enter scales · Esc cancels', dim: true },
      ];
    case 'help':
    case 'normal':
      break;
  }
  const segments: Segment[] =
    props.status !== null
      ? [{ text: ` ${props.status.text}`, ...(props.status.tone === 'error' ? { color: 'red', bold: true } : {}) }]
      : [{ text: ` ${HINTS}`, dim: true }];
  if (props.action !== null) {
    segments.push({ text: '  │ ', dim: true }, { text: props.action.glyph, color: props.action.color }, { text: ` ${props.action.text}` });
  }
  return segments;
}

/** The bottom line. */
export function StatusLine(props: StatusLineProps) {
  return <Line segments={statusSegments(props)} width={props.width} />;
}
