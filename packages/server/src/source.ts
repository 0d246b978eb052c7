import type { DockerCloudEvent, ObjectOperation, ObjectType, RestAction, RestObjectByType } from '@events/core';

/** An event as a source emits it; the server's bus adds the stream position. */
export interface SourceEvent {
  readonly namespace: string;
  readonly event: DockerCloudEvent;
}

/** The operations of the REST API; core names them for every client. */
export type OperationName = ObjectOperation;

export interface OperationRequest {
  readonly namespace: string;
  readonly type: ObjectType;
  readonly uuid: string;
  readonly operation: OperationName;
  /** For scale: the new target. */
  readonly targetNumContainers?: number;
  /** Who asked: recorded on the action. */
  readonly user: string;
  /** The HTTP method and path of the request, recorded on the action as Docker Cloud did. */
  readonly method: string;
  readonly path: string;
}

export type OperationResult =
  | { readonly ok: true; readonly action: RestAction }
  | { readonly ok: false; readonly status: 400 | 404 | 405 | 409; readonly detail: string }
  /** The source cannot act now (an engine that does not answer): try again after `retryAfterSeconds`. */
  | { readonly ok: false; readonly status: 503; readonly detail: string; readonly retryAfterSeconds: number };

export interface SourceHealth {
  readonly ok: boolean;
  readonly detail: string;
  /**
   * Not ok, yet `list`/`get` still answer the last state the source reported, its events
   * included (an engine lost after it was listed: its node `Unreachable`). REST reads are then
   * served and only operations refused, so the REST view keeps agreeing with the stream and a
   * client can still resync. Absent or false while not ok: nothing is served.
   */
  readonly readable?: boolean;
}

/**
 * Where events and objects come from: the simulated cloud, or a real Docker Engine. The REST API
 * reads `list`/`get`, which must already reflect every event the source has emitted (a source
 * updates its model before it emits the event).
 */
export interface CloudSource {
  readonly name: string;
  start(emit: (event: SourceEvent) => void): Promise<void>;
  stop(): Promise<void>;
  list<T extends ObjectType>(namespace: string, type: T): readonly RestObjectByType[T][];
  get<T extends ObjectType>(namespace: string, type: T, uuid: string): RestObjectByType[T] | undefined;
  operate(request: OperationRequest): OperationResult;
  health(): SourceHealth;
}
