// The messages between the orchestrator (run.ts), the server child and the client children.

export type ServerKind = 'ours' | 'plain-ws' | 'socketio';

export interface CpuSample {
  readonly userUs: number;
  readonly systemUs: number;
}

/** How late the process's event loop ran (timer lateness: blocking work or being descheduled), and its GC pauses. */
export interface LoopHealth {
  readonly delayP99Ms: number;
  readonly delayMaxMs: number;
  readonly gcPauses: number;
  readonly gcMaxMs: number;
  readonly gcTotalMs: number;
}

export interface MemorySample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** Orchestrator → server child. */
export type ServerCommand =
  | { readonly cmd: 'subscribers' }
  /**
   * Publish events `first .. first+events-1` of the workload's cycle as fast as the window
   * allows, `perTurn` per event-loop turn.
   */
  | { readonly cmd: 'flood'; readonly first: number; readonly events: number; readonly perTurn: number; readonly windowEvents: number }
  /** Publish events `first .. first+events-1`, one every 1/rate s. */
  | { readonly cmd: 'paced'; readonly first: number; readonly events: number; readonly rate: number }
  /** Frames the clients have received since the run started (flow control for `flood`). */
  | { readonly cmd: 'progress'; readonly received: number }
  /** The run's deliveries are all in: report the CPU used since it started. */
  | { readonly cmd: 'stop' }
  | { readonly cmd: 'memory' }
  | { readonly cmd: 'close' };

/** Server child → orchestrator. */
export type ServerReport =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'subscribers'; readonly n: number }
  | { readonly type: 'published'; readonly events: number; readonly deliveries: number }
  | {
      readonly type: 'stopped';
      readonly cpu: CpuSample;
      readonly startUs: number;
      readonly lastPublishUs: number;
      readonly published: number;
      /** Event-loop turns the publisher waited for the clients (window full). */
      readonly windowWaits: number;
      readonly loop: LoopHealth;
    }
  | { readonly type: 'memory'; readonly sample: MemorySample };

/** Orchestrator → client child. */
export type ClientCommand =
  | {
      readonly cmd: 'connect';
      readonly kind: ServerKind;
      readonly port: number;
      /** Subscribers `from .. to-1` of a workload of `workloadSize` subscribers. */
      readonly from: number;
      readonly to: number;
      readonly workloadSize: number;
    }
  | { readonly cmd: 'reset'; readonly latency: boolean }
  | { readonly cmd: 'report' }
  | { readonly cmd: 'close' };

/** Client child → orchestrator. */
export type ClientReport =
  | { readonly type: 'connected'; readonly open: number; readonly failed: number; readonly firstError?: string }
  | { readonly type: 'reset-done' }
  | { readonly type: 'progress'; readonly received: number; readonly lastUs: number }
  | {
      readonly type: 'report';
      readonly counts: number[];
      readonly latenciesUs: number[];
      readonly closed: number;
      readonly cpu: CpuSample;
      readonly loop: LoopHealth;
    };
