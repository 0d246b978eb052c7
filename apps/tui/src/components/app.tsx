// @jsxRuntime automatic (tsx run from the repo root does not read the jsx setting of this package's tsconfig)
import type { LiveTree, LiveTreeSnapshot, ObjectType } from '@events/core';
import { Box, type Key, useInput, useStdout } from 'ink';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { EventLog, EventLogSnapshot } from '../event-log.js';
import type { FieldsCache, FieldsView } from '../fields-cache.js';
import { keyPresses, pasteMarkerOf, resolveKey, resolvePaste } from '../keymap.js';
import { describeLink } from '../state/link-status.js';
import { failureReason, parentOfType } from '../state/format.js';
import { createRowCache, type RowCache } from '../state/row-cache.js';
import { buildRows, isExpandedByDefault, type RowList } from '../state/rows.js';
import { unlistedTypesText, VIEW_TITLES, type ViewMode, viewsShowing } from '../state/view-modes.js';
import { styleOfState } from '../state/state-style.js';
import {
  type Command,
  createViewState,
  type Effect,
  pinSelection,
  selectedIndex,
  type UpdateContext,
  update,
  type ViewState,
  windowStart,
} from '../state/view-state.js';
import { DetailPane } from './detail-pane.js';
import { EventsPane, visibleEvents } from './events-pane.js';
import { Header } from './header.js';
import { HelpOverlay, helpPageCount } from './help-overlay.js';
import { layoutOf } from './layout.js';
import { StatusLine } from './status-line.js';
import { TooSmall } from './too-small.js';
import { TreePane } from './tree-pane.js';
import { type TerminalSize, useTerminalSize } from './use-terminal-size.js';

export interface AppProps {
  readonly tree: LiveTree;
  readonly eventLog: EventLog;
  readonly fields: FieldsCache;
  /** What the header says we look at, e.g. `demo@127.0.0.1:41234`. */
  readonly title: string;
  /** The tree plays a recording back: the header says `replaying` where a connection says `live`. */
  readonly replay?: boolean;
  /** Shown first in the status line and kept in the help (the demo server's URL and key, for other clients). */
  readonly notice?: string;
  /** A fixed size (tests); default: the terminal's, followed on resize. */
  readonly size?: TerminalSize;
  /**
   * The clock of ages and "as of" times (a replay's: the recording's). Default, and best: the
   * fields cache's (`fields.now`), which dates the fetched fields the view shows and compares.
   */
  readonly now?: () => number;
  /** The clock of the LiveTree's `retryAt` (the reconnect countdown). Default performance.now. */
  readonly monotonicNow?: () => number;
  /** How often ages and countdowns refresh. Default 1,000 ms; 0 never (tests). */
  readonly tickMs?: number;
  /** Show times in UTC (stable test output) instead of local time. */
  readonly utc?: boolean;
  readonly initialState?: Partial<ViewState>;
  /**
   * The object types the tree holds (the command line's `--type`); absent or null: all. Tab
   * skips the views that list none of them, and such a view says which one does.
   */
  readonly types?: ReadonlySet<ObjectType> | null;
  /** Whether keys are read (false where stdin is not a terminal). Default true. */
  readonly interactive?: boolean;
  readonly onQuit: () => void;
  /** Puts the URI on the clipboard (OSC 52). */
  readonly onYank?: (uri: string) => void;
}

/** How long a bracketed paste may go without its next part or its end marker before it is taken as it is. */
const PASTE_END_WAIT_MS = 500;

/** What a replay says when asked to operate. */
const READ_ONLY_REPLAY = 'a replay is read-only: operations act on a live server';
/** A replay plays its recorded sockets in order: one more is the end of the recording, played or not. */
const REPLAY_NO_RECONNECT = 'a replay has no server to reconnect to';

interface Frozen {
  readonly tree: LiveTreeSnapshot;
  readonly log: EventLogSnapshot;
}

interface TrackedAction {
  readonly uri: string;
  readonly label: string;
}

function useClock(now: () => number, tickMs: number): number {
  const [time, setTime] = useState(now);
  useEffect(() => {
    if (tickMs <= 0) return;
    const timer = setInterval(() => setTime(now()), tickMs);
    return () => clearInterval(timer);
  }, [now, tickMs]);
  return time;
}

interface StoreSnapshots {
  readonly tree: LiveTreeSnapshot;
  readonly log: EventLogSnapshot;
  readonly fields: FieldsView;
}

/**
 * The tree, the event log and the fields cache as one external store. Ink renders on a legacy
 * React root, where every store notification outside an event handler is a render, a commit
 * and a frame of its own. Here the stores that publish in one turn make one commit (the
 * listener runs in a microtask); the event log publishes in the tree's turn (EventLog.attach).
 */
function combineStores(tree: LiveTree, log: EventLog, fields: FieldsCache): { subscribe(listener: () => void): () => void; getSnapshot(): StoreSnapshots } {
  let last: StoreSnapshots | null = null;
  return {
    getSnapshot() {
      const snapshots = { tree: tree.getSnapshot(), log: log.getSnapshot(), fields: fields.getSnapshot() };
      if (last === null || last.tree !== snapshots.tree || last.log !== snapshots.log || last.fields !== snapshots.fields) last = snapshots;
      return last;
    },
    subscribe(listener) {
      let queued = false;
      let active = true;
      const flush = () => {
        queued = false;
        if (active) listener();
      };
      const notify = () => {
        if (queued) return;
        queued = true;
        queueMicrotask(flush);
      };
      const unsubscribes = [tree.subscribe(notify), log.subscribe(notify), fields.subscribe(notify)];
      return () => {
        active = false;
        for (const unsubscribe of unsubscribes) unsubscribe();
      };
    },
  };
}

/**
 * The live view. Data comes from the LiveTree and the event log through useSyncExternalStore
 * (both publish at most ~10 times a second); every key goes through the keymap to a command,
 * and through the pure `update` to the next view state and the effects run here.
 */
export function App(props: AppProps) {
  const { tree, eventLog, fields } = props;
  const nowFn = props.now ?? fields.now;
  const utc = props.utc ?? false;
  const { stdout } = useStdout();
  const terminal = useTerminalSize(stdout);
  const size = props.size ?? terminal;
  const layout = layoutOf(size);

  const stores = useMemo(() => combineStores(tree, eventLog, fields), [tree, eventLog, fields]);
  // fieldsView changes identity whenever fetched fields arrive: names in rows and events depend on it.
  const { tree: live, log: liveLog, fields: fieldsView } = useSyncExternalStore(stores.subscribe, stores.getSnapshot);
  const lookupFields = useCallback((uri: string) => fieldsView.fields(uri), [fieldsView]);
  const now = useClock(nowFn, props.tickMs ?? 1000);

  const [state, setState] = useState(() => createViewState(props.initialState));
  // The state as of the last update, for handlers that run several commands before React renders.
  const stateRef = useRef(state);
  const [frozen, setFrozen] = useState<Frozen | null>(null);
  const [action, setAction] = useState<TrackedAction | null>(null);
  const targets = useRef(new Map<string, { value: number; at: number }>());

  const shown = frozen?.tree ?? live;
  const shownLog = frozen?.log ?? liveLog;
  const snapshot = shown.tree;
  const held = frozen === null ? 0 : liveLog.total - frozen.log.total;

  // One sort cache per view, so that switching views does not throw the others' orders away.
  const rowCaches = useRef(new Map<ViewMode, RowCache>());
  const { view, sort, filter, toggled } = state;
  const rows: RowList = useMemo(() => {
    let cache = rowCaches.current.get(view);
    if (cache === undefined) {
      cache = createRowCache();
      rowCaches.current.set(view, cache);
    }
    return buildRows(snapshot, {
      view,
      sort,
      filter,
      isExpanded: (uri, type) => isExpandedByDefault(type) !== toggled.has(uri),
      fields: lookupFields,
      cache,
    });
  }, [snapshot, view, sort, filter, toggled, lookupFields]);

  const index = selectedIndex(state, rows);
  const selected = index === -1 ? undefined : rows.at(index);
  const treeRows = layout.kind === 'too-small' ? 1 : layout.treeRows;
  const topRef = useRef(0);
  const top = windowStart(topRef.current, Math.max(0, index), treeRows, rows.length);
  topRef.current = top;
  const windowRows = useMemo(() => rows.slice(top, top + treeRows), [rows, top, treeRows]);

  const targetOfWith = useCallback(
    (uri: string, listedAfterEvents: boolean): number | undefined => {
      const override = targets.current.get(uri);
      const entry = fieldsView.get(uri);
      const fetched = entry?.status === 'ok' && typeof entry.fields.target_num_containers === 'number' ? entry.fields.target_num_containers : undefined;
      if (override !== undefined && (fetched === undefined || entry === undefined || entry.at <= override.at)) return override.value;
      if (fetched !== undefined) return fetched;
      const object = snapshot.get(uri);
      if (object === undefined || (!listedAfterEvents && object.lastEventDatetime !== null)) return undefined;
      const listed = (object.fields as Readonly<Record<string, unknown>> | null)?.target_num_containers;
      return typeof listed === 'number' ? listed : undefined;
    },
    [fieldsView, snapshot],
  );
  // + and - start from the best guess there is, the listed target included.
  const targetOf = useCallback((uri: string) => targetOfWith(uri, true), [targetOfWith]);
  // What a row shows: not a listed target once events came after the listing, since another
  // client's scale changes it without saying so in an event (`1/3→1` while heading for 3).
  const shownTargetOf = useCallback((uri: string) => targetOfWith(uri, false), [targetOfWith]);

  const eventsRows = layout.kind === 'too-small' ? 0 : layout.eventsRows;
  const { faultsOnly } = state;
  const shownEvents = useMemo(
    () => visibleEvents(shownLog.events, { faultsOnly, filter, limit: eventsRows, snapshot, fields: lookupFields }),
    [shownLog, faultsOnly, filter, eventsRows, snapshot, lookupFields],
  );

  // Names of objects known only from events, and the selected object's REST fields.
  useEffect(() => {
    for (const row of windowRows) {
      if (row.object.fields === null) fields.request(row.uri);
      if (view !== 'containers') continue;
      // The flat view names each container's service and node.
      // Also a parent the tree does not hold: its type may be filtered out on the command line.
      for (const parent of row.object.parents) if (snapshot.get(parent)?.fields == null) fields.request(parent);
      const stack = parentOfType(snapshot, row.object.parents, 'stack', lookupFields);
      if (stack !== undefined && snapshot.get(stack)?.fields == null) fields.request(stack);
    }
    for (const { event } of shownEvents) {
      if (event.action !== 'delete' && snapshot.get(event.resource_uri)?.fields == null) fields.request(event.resource_uri);
      const parent = event.parents[0];
      if (parent !== undefined && !snapshot.has(parent)) fields.request(parent);
    }
  }, [windowRows, shownEvents, snapshot, fields, view, lookupFields]);
  const selectedUri = selected?.uri;
  const selectedObject = selected?.object;
  useEffect(() => {
    // A changed record (new state, new event) makes the fetched fields worth a refresh, at most once a second.
    if (selectedUri === undefined || selectedObject === undefined) return;
    fields.request(selectedUri, 1000);
    // Its parents by name, also those the tree does not hold (filtered out on the command line).
    for (const parent of selectedObject.parents) if (snapshot.get(parent)?.fields == null) fields.request(parent);
    for (const action of snapshot.actionsOf(selectedUri).slice(0, 3)) if (action.fields === null) fields.request(action.resource_uri, 2000);
  }, [selectedUri, selectedObject, snapshot, fields]);

  // From the first frame on, the selection follows its object (by URI), not its position.
  useEffect(() => {
    const pinned = pinSelection(stateRef.current, rows);
    if (pinned !== stateRef.current) {
      stateRef.current = pinned;
      setState(pinned);
    }
  }, [rows]);

  // The help pages when the terminal is too small for all of it (the reducer keeps the page within them).
  // The overlay keeps the notice (the demo's URL and key) at its foot, unless the status line below shows it already.
  const helpNotice = props.notice !== undefined && state.status?.text !== props.notice ? props.notice : undefined;
  const helpPages =
    state.mode.kind === 'help' && layout.kind !== 'too-small' ? helpPageCount(size.columns, layout.frameRows - layout.headerRows - 1, helpNotice !== undefined) : 1;

  const types = props.types ?? null;
  const views = useMemo(() => viewsShowing(types), [types]);

  // The handler reads the latest of everything through a ref, so useInput gets one stable function.
  const tooSmall = layout.kind === 'too-small';
  const latest = useRef({ state, rows, treeRows, targetOf, props, helpPages, views, tooSmall });
  latest.current = { state, rows, treeRows, targetOf, props, helpPages, views, tooSmall };

  // Async results (an operation accepted or refused) come back through the latest dispatch.
  const dispatchRef = useRef<(command: Command) => void>(() => {});
  const runEffects = useCallback(
    (effects: readonly Effect[]) => {
      for (const effect of effects) {
        switch (effect.type) {
          case 'quit':
            latest.current.props.onQuit();
            break;
          case 'yank':
            latest.current.props.onYank?.(effect.uri);
            break;
          case 'reconnect':
            tree.reconnect();
            break;
          case 'operate': {
            const { request } = effect;
            if (request.targetNumContainers !== undefined) targets.current.set(request.uri, { value: request.targetNumContainers, at: nowFn() });
            const params = request.targetNumContainers === undefined ? undefined : { targetNumContainers: request.targetNumContainers };
            tree.operate(request.uri, request.operation, params).then(
              ({ actionUri }) => {
                if (actionUri !== null) setAction({ uri: actionUri, label: `${request.operation} ${request.label}` });
                dispatchRef.current({ type: 'status', tone: 'info', text: `${request.operation} ${request.label}: accepted` });
              },
              (error: unknown) => {
                targets.current.delete(request.uri);
                const reason = failureReason(error instanceof Error ? error.message : String(error), request.uri);
                dispatchRef.current({ type: 'status', tone: 'error', text: `${request.operation} ${request.label} failed: ${reason}` });
              },
            );
            break;
          }
        }
      }
    },
    [tree, nowFn],
  );

  const dispatch = useCallback(
    (command: Command) => {
      const current = latest.current;
      const context: UpdateContext = {
        rows: current.rows,
        pageSize: current.treeRows,
        targetOf: (uri) => current.targetOf(uri) ?? null,
        // The live tree, not the frozen one a pause shows: an operation acts on what is there now.
        stateOf: (uri) => tree.getSnapshot().tree.get(uri)?.state ?? null,
        ...(props.replay === true ? { readOnly: READ_ONLY_REPLAY, cannotReconnect: REPLAY_NO_RECONNECT } : {}),
        helpPages: current.helpPages,
        views: current.views,
      };
      const before = stateRef.current;
      const [next, effects] = update(before, command, context);
      if (command.type === 'pause') {
        // Pausing freezes what is on screen; the stores keep running and count what is held back.
        setFrozen(next.paused ? { tree: tree.getSnapshot(), log: eventLog.getSnapshot() } : null);
      }
      if (next !== before) {
        stateRef.current = next;
        setState(next);
      }
      runEffects(effects);
    },
    [tree, eventLog, runEffects, props.replay],
  );
  dispatchRef.current = dispatch;

  // The state the tracked action was last held in, for when the tree no longer holds it.
  const actionSeen = useRef<{ readonly uri: string; readonly state: string } | null>(null);
  useEffect(() => {
    const state = action === null ? undefined : snapshot.get(action.uri)?.state;
    if (action !== null && state !== undefined) actionSeen.current = { uri: action.uri, state };
  }, [action, snapshot]);

  // A confirmation must not outlive its object: another client may delete it while the prompt waits.
  const confirming = state.mode.kind === 'confirm' ? state.mode.request.uri : null;
  // (What is on screen; while paused, the check when y is pressed reads the live tree.)
  useEffect(() => {
    if (confirming === null) return;
    const objectState = snapshot.get(confirming)?.state;
    if (objectState === undefined) dispatch({ type: 'confirm-void', why: 'gone' });
    else if (objectState === 'Terminated') dispatch({ type: 'confirm-void', why: 'terminated' });
  }, [confirming, snapshot, dispatch]);

  // Text between the markers of a bracketed paste, taken whole when the paste ends (it may come in several reads).
  const paste = useRef<string | null>(null);
  // A paste whose end marker never comes must not swallow every key after it (q included): it ends on its own.
  const pasteTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(pasteTimer.current), []);
  const endPaste = useCallback(() => {
    clearTimeout(pasteTimer.current);
    const text = paste.current;
    paste.current = null;
    if (text === null) return;
    const command = resolvePaste(latest.current.tooSmall ? 'too-small' : stateRef.current.mode.kind, text);
    if (command !== null) dispatch(command);
  }, [dispatch]);
  const onInput = useCallback(
    (input: string, key: Key) => {
      const marker = pasteMarkerOf(input);
      if (marker === 'end') {
        endPaste();
        return;
      }
      if (marker === 'start' || paste.current !== null) {
        paste.current = marker === 'start' ? '' : paste.current + input;
        clearTimeout(pasteTimer.current);
        pasteTimer.current = setTimeout(endPaste, PASTE_END_WAIT_MS);
        return;
      }
      for (const press of keyPresses(input, key)) {
        // The mode may change within a burst (`/web`: the slash opens the filter, the rest is typed into it).
        // Too small to draw: only q and Ctrl-C, as the screen says, whatever the mode.
        const command = resolveKey(latest.current.tooSmall ? 'too-small' : stateRef.current.mode.kind, press.name, press.input);
        if (command !== null) dispatch(command);
      }
    },
    [dispatch, endPaste],
  );
  useInput(onInput, { isActive: props.interactive ?? true });

  if (layout.kind === 'too-small') return <TooSmall size={size} height={layout.frameRows} />;

  const link = describeLink(live, { wall: now, monotonic: (props.monotonicNow ?? performance.now.bind(performance))() }, utc, props.replay === true);
  const stale = link.stale;
  // Pending until the tree holds the action; once it held it, the last state it had, also after
  // the tree forgets it (ended actions are pruned, a re-list may not list it): not Pending again.
  const seen = actionSeen.current;
  const actionState = action === null ? null : (snapshot.get(action.uri)?.state ?? (seen?.uri === action.uri ? seen.state : 'Pending'));
  const actionLine =
    action === null || actionState === null
      ? null
      : {
          text: `${action.label}: ${actionState}`,
          glyph: styleOfState(actionState).glyph,
          color: styleOfState(actionState).color,
        };
  const emptyText =
    shown.sync.status === 'listing'
      ? shown.connection.phase === 'stopped'
        ? 'nothing listed: the connection stopped (see the top line)'
        : shown.sync.failure !== undefined
          ? 'cannot list objects yet (see the top line)'
          : 'listing objects…'
      : (unlistedTypesText(state.view, types) ??
        (state.filter.trim() !== '' ? `nothing matches /${state.filter.trim()} (Esc clears the filter)` : `no ${VIEW_TITLES[state.view].toLowerCase()} yet`));
  const target = selected === undefined ? undefined : shownTargetOf(selected.uri);

  const treePane = (
    <TreePane
      snapshot={snapshot}
      rows={windowRows}
      selectedUri={selected?.uri ?? null}
      view={state.view}
      width={layout.treeWidth}
      height={layout.treeRows + 1}
      now={now}
      stale={stale}
      targetOf={shownTargetOf}
      emptyText={emptyText}
      fields={lookupFields}
    />
  );
  const detailPane = (
    <DetailPane
      {...(props.replay === true ? { readOnly: 'a replay: no operations' } : {})}
      snapshot={snapshot}
      row={selected}
      fetched={selected === undefined ? undefined : fieldsView.get(selected.uri)}
      now={now}
      utc={utc}
      view={state.view}
      target={target}
      fields={lookupFields}
      width={layout.detailWidth}
      height={layout.detailRows}
      stale={stale}
      ruleLeft={layout.kind === 'wide'}
    />
  );
  const eventsPane = (
    <EventsPane
      events={shownEvents}
      fields={lookupFields}
      total={shownLog.total}
      snapshot={snapshot}
      faultsOnly={state.faultsOnly}
      filter={state.filter}
      width={layout.eventsWidth}
      height={layout.eventsRows + 1}
      utc={utc}
      stale={stale}
      ended={live.connection.phase !== 'stopped' ? null : props.replay === true ? 'the replay finished' : 'the connection stopped (see the top line)'}
    />
  );
  const bodyRows = layout.frameRows - layout.headerRows - 1;

  return (
    <Box flexDirection="column" width={size.columns} height={layout.frameRows}>
      <Header
        title={props.title}
        width={size.columns}
        snapshot={snapshot}
        link={link}
        view={state.view}
        sort={state.sort}
        filter={state.filter}
        filtering={state.mode.kind === 'filter'}
        matches={rows.matches}
        views={views}
        paused={state.paused}
        held={held}
        utc={utc}
        position={rows.length === 0 ? '' : `rows ${top + 1}-${top + windowRows.length} of ${rows.length}`}
      />
      {state.mode.kind === 'help' ? (
        <HelpOverlay width={size.columns} height={bodyRows} page={state.mode.page} {...(helpNotice !== undefined ? { notice: helpNotice } : {})} />
      ) : layout.kind === 'wide' ? (
        <Box flexDirection="column" height={bodyRows}>
          <Box flexDirection="row" height={layout.treeRows + 1}>
            {treePane}
            {detailPane}
          </Box>
          {eventsPane}
        </Box>
      ) : (
        <Box flexDirection="column" height={bodyRows}>
          {treePane}
          <Box flexDirection="row" height={layout.detailRows}>
            {detailPane}
            {eventsPane}
          </Box>
        </Box>
      )}
      <StatusLine mode={state.mode} status={state.status} filter={state.filter} width={size.columns} action={actionLine} />
    </Box>
  );
}
