/** Why a connection attempt was refused (label of `events_auth_failures_total`). */
export type AuthFailureReason = 'missing' | 'malformed' | 'invalid' | 'throttled';

export type ResumeOutcomeLabel = 'fresh' | 'resumed' | 'gone';

/**
 * The server's counters, rendered in the Prometheus text format by `render()`.
 *
 * @example
 * const metrics = createMetrics();
 * metrics.eventsIn(1);
 * metrics.render(); // "# TYPE events_in_total counter\nevents_in_total 1\n..."
 */
export interface Metrics {
  eventsIn(count: number): void;
  /** Event frames handed to sockets (one per subscriber per event). */
  eventsOut(count: number): void;
  /** One coalesced socket write carrying `frames` frames and `bytes` bytes. */
  socketWrite(frames: number, bytes: number): void;
  framesDropped(count: number): void;
  slowConsumerClosed(): void;
  resume(outcome: ResumeOutcomeLabel): void;
  authFailure(reason: AuthFailureReason): void;
  clientFrameIgnored(): void;
  connectionOpened(protocol: 'plain' | 'extended'): void;
  connectionClosed(protocol: 'plain' | 'extended'): void;
  /** Sets the gauge of subscribers on one namespace (0 removes the series). */
  setSubscribers(namespace: string, count: number): void;
  snapshot(): MetricsSnapshot;
  render(): string;
}

export interface MetricsSnapshot {
  readonly connections: { readonly plain: number; readonly extended: number };
  readonly subscribers: Readonly<Record<string, number>>;
  readonly eventsIn: number;
  readonly eventsOut: number;
  readonly socketWrites: number;
  readonly framesWritten: number;
  readonly bytesOut: number;
  readonly framesDropped: number;
  readonly slowConsumersClosed: number;
  readonly resumes: Readonly<Record<ResumeOutcomeLabel, number>>;
  readonly authFailures: Readonly<Record<AuthFailureReason, number>>;
  readonly clientFramesIgnored: number;
  readonly eventsInPerSecond: number;
  readonly eventsOutPerSecond: number;
}

/** Counts per whole second over the last `seconds` seconds, for the per-second rate gauges. */
function createRate(now: () => number, seconds = 10) {
  const buckets = new Float64Array(seconds);
  let current = Math.floor(now() / 1000);
  const advance = () => {
    const second = Math.floor(now() / 1000);
    if (second <= current) return;
    const steps = Math.min(second - current, seconds);
    for (let i = 1; i <= steps; i++) buckets[(current + i) % seconds] = 0;
    current = second;
  };
  return {
    add(n: number) {
      advance();
      buckets[current % seconds] = (buckets[current % seconds] ?? 0) + n;
    },
    /** The mean over the last complete seconds (the current one is still filling). */
    perSecond(): number {
      advance();
      let sum = 0;
      for (let i = 1; i < seconds; i++) sum += buckets[(current - i + seconds * 2) % seconds] ?? 0;
      return sum / (seconds - 1);
    },
  };
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export interface MetricsOptions {
  readonly now?: () => number;
  /**
   * Where events come from, read at every render for `events_source_up` (1 while `health()` is ok,
   * else 0, labelled with the source's name): an alert on it sees a Docker engine lost.
   */
  readonly source?: { readonly name: string; health(): { readonly ok: boolean } };
}

/**
 * Counters and gauges for `/metrics`.
 *
 * @example
 * const metrics = createMetrics({ source }); // source: a CloudSource
 * metrics.render(); // ...events_source_up{source="docker"} 1...
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const now = options.now ?? Date.now;
  const source = options.source;
  const connections = { plain: 0, extended: 0 };
  const subscribers = new Map<string, number>();
  const resumes: Record<ResumeOutcomeLabel, number> = { fresh: 0, resumed: 0, gone: 0 };
  const authFailures: Record<AuthFailureReason, number> = { missing: 0, malformed: 0, invalid: 0, throttled: 0 };
  let eventsIn = 0;
  let eventsOut = 0;
  let socketWrites = 0;
  let framesWritten = 0;
  let bytesOut = 0;
  let framesDropped = 0;
  let slowConsumersClosed = 0;
  let clientFramesIgnored = 0;
  const inRate = createRate(now);
  const outRate = createRate(now);

  const snapshot = (): MetricsSnapshot => ({
    connections: { ...connections },
    subscribers: Object.fromEntries(subscribers),
    eventsIn,
    eventsOut,
    socketWrites,
    framesWritten,
    bytesOut,
    framesDropped,
    slowConsumersClosed,
    resumes: { ...resumes },
    authFailures: { ...authFailures },
    clientFramesIgnored,
    eventsInPerSecond: inRate.perSecond(),
    eventsOutPerSecond: outRate.perSecond(),
  });

  return {
    eventsIn(count) {
      eventsIn += count;
      inRate.add(count);
    },
    eventsOut(count) {
      eventsOut += count;
      outRate.add(count);
    },
    socketWrite(frames, bytes) {
      socketWrites += 1;
      framesWritten += frames;
      bytesOut += bytes;
    },
    framesDropped(count) {
      framesDropped += count;
    },
    slowConsumerClosed() {
      slowConsumersClosed += 1;
    },
    resume(outcome) {
      resumes[outcome] += 1;
    },
    authFailure(reason) {
      authFailures[reason] += 1;
    },
    clientFrameIgnored() {
      clientFramesIgnored += 1;
    },
    connectionOpened(protocol) {
      connections[protocol] += 1;
    },
    connectionClosed(protocol) {
      connections[protocol] -= 1;
    },
    setSubscribers(namespace, count) {
      if (count > 0) subscribers.set(namespace, count);
      else subscribers.delete(namespace);
    },
    snapshot,
    render() {
      const s = snapshot();
      const lines: string[] = [];
      const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: readonly [string, number][]) => {
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
        for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
      };
      metric('events_connections', 'gauge', 'Open stream connections.', [
        ['{protocol="plain"}', s.connections.plain],
        ['{protocol="extended"}', s.connections.extended],
      ]);
      metric(
        'events_subscribers',
        'gauge',
        'Stream subscribers per namespace.',
        Object.entries(s.subscribers).map(([ns, n]) => [`{namespace="${escapeLabel(ns)}"}`, n]),
      );
      metric('events_in_total', 'counter', 'Events accepted from the source.', [['', s.eventsIn]]);
      metric('events_out_total', 'counter', 'Event frames queued to subscribers.', [['', s.eventsOut]]);
      metric('events_in_per_second', 'gauge', 'Events accepted per second (mean of the last 9 s).', [['', s.eventsInPerSecond]]);
      metric('events_out_per_second', 'gauge', 'Event frames delivered per second (mean of the last 9 s).', [['', s.eventsOutPerSecond]]);
      metric('events_socket_writes_total', 'counter', 'Coalesced socket writes (each carries one or more frames).', [['', s.socketWrites]]);
      metric('events_frames_written_total', 'counter', 'Frames written to sockets (events, markers, hello, errors).', [['', s.framesWritten]]);
      metric('events_bytes_out_total', 'counter', 'Frame payload bytes written to sockets.', [['', s.bytesOut]]);
      metric('events_frames_dropped_total', 'counter', 'Frames discarded when a slow consumer was closed.', [['', s.framesDropped]]);
      metric('events_slow_consumers_closed_total', 'counter', 'Connections closed with 4008 for exceeding their byte budget.', [['', s.slowConsumersClosed]]);
      metric(
        'events_resumes_total',
        'counter',
        'Extended connections by resume outcome (gone = the client must resync).',
        (['fresh', 'resumed', 'gone'] as const).map((o) => [`{outcome="${o}"}`, s.resumes[o]]),
      );
      metric(
        'events_auth_failures_total',
        'counter',
        'Refused logins by reason.',
        (['missing', 'malformed', 'invalid', 'throttled'] as const).map((r) => [`{reason="${r}"}`, s.authFailures[r]]),
      );
      metric('events_client_frames_ignored_total', 'counter', 'Data frames received from clients (ignored).', [['', s.clientFramesIgnored]]);
      if (source) {
        // Read now rather than pushed: the source's health changes without telling anyone.
        let up = 0;
        try {
          up = source.health().ok ? 1 : 0;
        } catch {
          // A health() that throws is not a healthy source.
        }
        metric('events_source_up', 'gauge', 'Whether the source is healthy (1) or not (0): for --source docker, whether the engine is reachable and followed.', [
          [`{source="${escapeLabel(source.name)}"}`, up],
        ]);
      }
      return `${lines.join('\n')}\n`;
    },
  };
}
