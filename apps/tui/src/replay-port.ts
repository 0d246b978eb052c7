import { performance } from 'node:perf_hooks';
import { EventsError, type HttpResponse, OBJECT_TYPES, type SocketHandlers, type StreamPort } from '@events/core';
import { END_OF_RECORDING, type RecordedHttp, type RecordedStep, type Recording, recordingStart, withoutCredentials } from './recording.js';

export interface ReplayPortOptions {
  /** 1 = as recorded, 2 = twice as fast, 0 = as fast as possible. */
  readonly speed: number;
}

/** A StreamPort that plays a recording, and tells when it has played all of it. */
export interface ReplayPort extends StreamPort {
  /** Resolves just before the final close ("end of recording") reaches the client. */
  readonly ended: Promise<void>;
  /**
   * The recording's own time (epoch ms): when what has been played so far happened, as
   * recorded; between two lines at a speed, it runs at that speed; once played to its end, the
   * time of its last line, for good. The port's `wallClock` is this clock, so the tree's
   * "as of" and the ages of a replay are those of the recording, not of the replay.
   */
  recordedTime(): number;
}

export { END_OF_RECORDING } from './recording.js';

type SocketStep = Exclude<RecordedStep, RecordedHttp | { readonly kind: 'connect' }>;

interface Session {
  readonly connectedAt: number;
  readonly steps: SocketStep[];
}

/** Lines per turn of the event loop at full speed, so that keys and frames get their turn. */
const BUDGET = 2_000;
/** Turns a frame waits for the client to ask for a REST answer recorded before it. */
const ORDER_WAIT_TURNS = 20;

function sessionsOf(recording: Recording): Session[] {
  const sessions = new Map<number, Session>();
  for (const step of recording.steps) {
    if (step.kind === 'http') continue;
    if (step.kind === 'connect') sessions.set(step.socket, { connectedAt: step.t, steps: [] });
    else sessions.get(step.socket)?.steps.push(step);
  }
  const list = [...sessions.values()];
  // The last socket was still open when the recording stopped: its close, the recorder's own at
  // exit, gives way to END_OF_RECORDING. A close of the server's (a refusal, 4001) is played as
  // recorded: it is how the session ended.
  const last = list.at(-1);
  const end = last?.steps.at(-1);
  if (end?.kind === 'close' && end.code === NORMAL_CLOSURE) last?.steps.pop();
  return list;
}

/**
 * The code of the close core's stream client sends when it is stopped (the tree closed, at the
 * recorder's exit: 1000 "stopped", which a server echoes, with or without the reason). A server
 * ends a session with other codes: 4001 refused, 1001 going away, 1006 gone.
 */
const NORMAL_CLOSURE = 1000;

function requestKey(method: string, url: string): string {
  return `${method} ${withoutCredentials(url)}`;
}

const LISTED_TYPES = new Set<string>(OBJECT_TYPES);

/**
 * A GET of a list (`…/stack/?limit=1000`, a `next` page): asked by the stream client itself, as
 * recorded. GETs of one object were asked by the recorded view, for what its user looked at;
 * a replay's view reads those from the recording (createRecordedFields) and never asks.
 */
function isListRequest(step: RecordedHttp): boolean {
  if (step.method !== 'GET') return false;
  try {
    const segments = new URL(step.url).pathname.split('/').filter((segment) => segment !== '');
    return LISTED_TYPES.has(segments.at(-1) ?? '');
  } catch {
    return false;
  }
}

/**
 * The network as recorded, for core's stream client and live tree: the n-th socket opened plays
 * the n-th recorded socket (open, frames at their recorded offsets divided by `speed`, close),
 * REST requests are answered with the recorded responses (by method and URL, in order; anything
 * else gets a 503 "not in the recording"), timers and the monotonic clock are real, the wall
 * clock is the recording's (see recordedTime). After the last recorded
 * socket, the client is closed with END_OF_RECORDING, which stops it without a retry. A view's
 * fields of one object come from createRecordedFields at recordedTime(), not from here.
 *
 * @example
 * const port = createReplayPort(parseRecording(text), { speed: 0 });
 * const tree = createLiveTree({ streamHost: recording.header.streamHost, restHost: recording.header.restHost, authorization: 'replay' }, port);
 * await port.ended;
 */
export function createReplayPort(recording: Recording, options: ReplayPortOptions): ReplayPort {
  const { speed } = options;
  const sessions = sessionsOf(recording);
  // The recording's clock: its start, plus the offset of what was last played.
  const origin = recordingStart(recording.header);
  /** The last line's offset (the recorder's own last close included): where the clock stops. */
  const endT = recording.steps.reduce((latest, step) => Math.max(latest, step.t), 0);
  let playedT = 0;
  /** The socket now playing at a speed: the clock runs between its lines, up to its next one. */
  let playing: { readonly started: number; readonly connectedAt: number; nextT: number } | null = null;
  let finished = false;
  const played = (t: number) => {
    if (t > playedT) playedT = Math.min(t, endT);
  };
  const recordedTime = (): number => {
    if (finished) return origin + endT;
    let t = playedT;
    if (playing !== null && speed > 0) t = Math.max(t, Math.min(playing.connectedAt + (performance.now() - playing.started) * speed, playing.nextT, endT));
    return origin + t;
  };
  const answers = new Map<string, RecordedHttp[]>();
  for (const step of recording.steps) {
    if (step.kind !== 'http') continue;
    const key = requestKey(step.method, step.url);
    const list = answers.get(key);
    if (list === undefined) answers.set(key, [step]);
    else list.push(step);
  }
  // The recorded lists in time order. A frame recorded after a list waits for the client to ask
  // for it (at most ORDER_WAIT_TURNS turns: it may never ask), so that a fast replay keeps the
  // recorded order of lists and events: a tree that saw an object listed before its delete
  // names it, as it did live. Not for the GETs of one object: no client of a replay asks for
  // those, and each would hold the frames after it back for those turns.
  const answersInOrder = recording.steps.filter((step): step is RecordedHttp => step.kind === 'http' && isListRequest(step));
  const answered = new Set<RecordedHttp>();
  let answerCursor = 0;
  let waitedTurns = 0;
  const nextAnswerAt = (): number => {
    while (answerCursor < answersInOrder.length && answered.has(answersInOrder[answerCursor] as RecordedHttp)) answerCursor++;
    return answersInOrder[answerCursor]?.t ?? Number.POSITIVE_INFINITY;
  };
  let opened = 0;
  let endReported = false;
  let reportEnd: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    reportEnd = resolve;
  });

  /** Everything is played: from now on the data is as of the recording's end, and stays so. */
  function playedToEnd(): void {
    finished = true;
    playing = null;
    if (!endReported) {
      endReported = true;
      reportEnd();
    }
  }

  /** Resolves `ended`, then closes the socket on a later turn, once `ended`'s callbacks ran. */
  function endOfRecording(handlers: SocketHandlers): ReturnType<typeof setTimeout> {
    playedToEnd();
    return setTimeout(() => handlers.onClose(END_OF_RECORDING.code, END_OF_RECORDING.reason), 0);
  }

  function deliver(step: SocketStep, handlers: SocketHandlers): void {
    switch (step.kind) {
      case 'open':
        handlers.onOpen(step.protocol);
        break;
      case 'frame':
        handlers.onMessage(step.text);
        break;
      case 'pong':
        handlers.onPong();
        break;
      case 'close':
        handlers.onClose(step.code, step.reason);
        break;
      case 'handshake-failed':
        handlers.onHandshakeFailed(step.status, step.retryAfterMs ?? undefined);
        break;
      case 'error':
        handlers.onError(step.message);
        break;
      case 'subprotocol-refused':
        handlers.onSubprotocolRefused();
        break;
      default: {
        const unknown: never = step;
        throw new EventsError('internal', `unknown recorded step ${JSON.stringify(unknown)}`);
      }
    }
  }

  return {
    canSetHeaders: true,
    openSocket(_request, handlers) {
      const session = sessions[opened++];
      let timer: ReturnType<typeof setTimeout> | undefined;
      let done = false;
      const handle = {
        close(code: number, reason: string) {
          if (done) return;
          done = true;
          clearTimeout(timer);
          timer = setTimeout(() => handlers.onClose(code, reason), 0);
        },
        terminate() {
          handle.close(1006, '');
        },
      };
      if (session === undefined) {
        done = true;
        timer = endOfRecording(handlers);
        return handle;
      }
      const isLast = opened === sessions.length;
      const started = performance.now();
      const clock = { started, connectedAt: session.connectedAt, nextT: session.steps[0]?.t ?? session.connectedAt };
      playing = clock;
      played(session.connectedAt);
      let at = 0;
      const play = () => {
        timer = undefined;
        const elapsed = speed === 0 ? Number.POSITIVE_INFINITY : (performance.now() - started) * speed;
        let budget = BUDGET;
        while (!done && at < session.steps.length && budget-- > 0) {
          const step = session.steps[at] as SocketStep;
          if (step.t - session.connectedAt > elapsed) break;
          if (step.t > nextAnswerAt()) {
            if (waitedTurns++ < ORDER_WAIT_TURNS) {
              timer = setTimeout(play, 0);
              return;
            }
            answered.add(answersInOrder[answerCursor] as RecordedHttp); // never asked for: stop waiting for it
            continue;
          }
          waitedTurns = 0;
          at++;
          if (step.kind === 'close') done = true;
          played(step.t);
          deliver(step, handlers);
          // The last socket closed as recorded (by the server: a refusal): the recording has no more.
          if (step.kind === 'close' && isLast) playedToEnd();
        }
        clock.nextT = session.steps[at]?.t ?? clock.nextT;
        if (done && playing === clock) playing = null;
        if (done) return;
        if (at >= session.steps.length) {
          // A socket the recording saw no end of: the recording ends here if it was the last.
          if (isLast) {
            done = true;
            timer = endOfRecording(handlers);
          }
          return;
        }
        const next = session.steps[at] as SocketStep;
        const wait = speed === 0 ? 0 : Math.max(0, (next.t - session.connectedAt - elapsed) / speed);
        timer = setTimeout(play, Math.min(wait, 1_000));
      };
      timer = setTimeout(play, 0);
      return handle;
    },
    setTimer: (callback, delayMs) => setTimeout(callback, Math.max(0, delayMs)),
    clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout> | undefined),
    now: () => performance.now(),
    // The recording's time, not ours: what the tree marks "as of" and dates its records by.
    wallClock: recordedTime,
    recordedTime,
    random: () => Math.random(),
    async request(request): Promise<HttpResponse> {
      const answer = answers.get(requestKey(request.method, request.url))?.shift();
      if (answer !== undefined) played(answer.t);
      // Counted as answered a turn later: the client's handling of it (a listing completing) runs in between.
      if (answer !== undefined) setTimeout(() => answered.add(answer), 0);
      // Asked for nothing the recording holds (an operation, a GET it never saw): no server is there to answer.
      if (answer === undefined) {
        return { status: 503, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ detail: 'not in the recording (a replay is read-only)' }) };
      }
      if ('failure' in answer) throw new Error(answer.failure);
      return { status: answer.status, headers: answer.headers, body: answer.body };
    },
    ended,
  };
}
