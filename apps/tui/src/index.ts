// @events/tui as a library: the live view's parts, for embedding it or building another UI on
// the same pure state. The `events` command is src/cli.ts.
export { type AppProps, App } from './components/app.js';
export { installInkOutputCache } from './components/install-ink-output-cache.js';
export { type Layout, layoutOf, MIN_SIZE } from './components/layout.js';
export { fitSegments, Line, type LineProps, type Segment } from './components/line.js';
export { type HelpLayout, helpContent, helpPageCount, layoutHelp, wrapText } from './components/help-overlay.js';
export { type Theme, ThemeContext } from './components/theme.js';
export { type SizedStream, type TerminalSize, useTerminalSize } from './components/use-terminal-size.js';
export { type CliCommand, ExitCode, HELP_TEXT, type OutputFormat, parseCliOptions, type RunOptions, type SourceOptions } from './cli-options.js';
export { type ConnectOptions, connectLiveTree } from './connect-live-tree.js';
export { type DemoServer, type DemoServerOptions, startDemoServer } from './demo-server.js';
export { createStateTracker, describeUri, formatEventJson, formatEventPlain, type StateTracker } from './event-format.js';
export { createEventLog, type EventLog, type EventLogOptions, type EventLogSnapshot, type LoggedEvent } from './event-log.js';
export { createFieldsCache, type FetchedFields, type FieldsCache, type FieldsCacheOptions, type FieldsView, type StoredFields } from './fields-cache.js';
export { createInProcessLiveTree, type InProcessLiveTreeOptions } from './in-process-live-tree.js';
export {
  CONFIRM_KEYMAP,
  FILTER_KEYMAP,
  formatKey,
  HELP_KEYMAP,
  type HelpSection,
  helpSections,
  type KeyBinding,
  type KeyFlags,
  type KeyGroup,
  KEYMAPS,
  type KeyPress,
  keyNameOf,
  keyPresses,
  NORMAL_KEYMAP,
  resolveKey,
  SCALE_KEYMAP,
} from './keymap.js';
export { createLocalLiveTree, LIVE_CONNECTION, type LocalLiveTree, type LocalLiveTreeOptions } from './local-live-tree.js';
export { clockOf, fieldsCacheOf, type OpenedSource, openSource } from './open-source.js';
export { createRecordedFields, NOT_RECORDED, type RecordedFields } from './recorded-fields.js';
export {
  isEndOfRecording,
  parseRecording,
  RECORDING_VERSION,
  type RecordedFilter,
  type RecordedHttp,
  type RecordedStep,
  type Recording,
  type RecordingHeader,
  type RecordingLine,
  recordFilter,
  recordingStart,
  replayFilter,
  withoutCredentials,
} from './recording.js';
export { createRecordingPort, type RecordingTarget } from './recording-port.js';
export { createReplayPort, END_OF_RECORDING, type ReplayPort, type ReplayPortOptions } from './replay-port.js';
export { NAME_WAIT_MS, runTail, type TailOptions } from './run-tail.js';
export { runWatch, type WatchOptions } from './run-watch.js';
export { displayName, fit, fitRight, formatAge, formatClock, shortId, stateSince, TYPE_LABEL } from './state/format.js';
export { describeLink, type LinkClock, type LinkStatus } from './state/link-status.js';
export {
  buildRows,
  countsOf,
  formatCounts,
  isExpandedByDefault,
  type Row,
  type RowCounts,
  type RowList,
  type RowOptions,
  SORT_KEYS,
  type SortKey,
} from './state/rows.js';
export { createRowCache, type RowCache } from './state/row-cache.js';
export { initialViewFor, unlistedTypesText, VIEW_MODES, VIEW_TITLES, type ViewMode, viewsShowing } from './state/view-modes.js';
export { isFaultState, KIND_STYLES, STATE_LEGEND, type StateKind, type StateStyle, styleOfState } from './state/state-style.js';
export {
  type Command,
  createViewState,
  DESTRUCTIVE,
  type Effect,
  type InputMode,
  isExpanded,
  type OperationRequest,
  pinSelection,
  type Selection,
  selectedIndex,
  selectedRow,
  type StatusMessage,
  type UpdateContext,
  update,
  type ViewState,
  windowStart,
} from './state/view-state.js';
export {
  colorFromEnv,
  ENTER_ALTERNATE_SCREEN,
  enterAlternateScreen,
  type FullScreenSupport,
  fallbackNote,
  fullScreenSupport,
  LEAVE_ALTERNATE_SCREEN,
  osc52,
  type ScreenSession,
} from './terminal-session.js';
