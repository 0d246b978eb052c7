import { type Credentials, createLiveTree, type EventFilter, type LiveTreeHandle, type LiveTreeOptions, type StreamPort } from '@events/core';
import { createNodePort } from '@events/transport-node';

/** What a network LiveTree needs: the hosts, the namespace, the credentials, the filter. */
export interface ConnectOptions {
  readonly streamHost: string;
  readonly restHost: string;
  readonly namespace?: string;
  /** The Authorization header value to send. */
  readonly authorization: string;
  readonly credentials?: Credentials;
  readonly filter?: EventFilter;
  /** The client's reconnect policy (timeouts, backoff); default: core's. */
  readonly policy?: LiveTreeOptions['policy'];
}

/**
 * THE SEAM to the network transport: core's LiveTree (REST lists seed it, the stream keeps it
 * current, reconnects resume or re-list) over a StreamPort, by default the Node one. A recording
 * wraps that port, a replay replaces it: the same client and tree run in all three cases.
 * Everything else in the TUI is written against the LiveTree interface only. The options are
 * already resolved from flags and DOCKERCLOUD_* (cli-options.ts).
 *
 * @example
 * const tree = connectLiveTree({ streamHost: 'ws://127.0.0.1:8080/', restHost: 'http://127.0.0.1:8080/', authorization: 'Basic ...' });
 */
export function connectLiveTree(options: ConnectOptions, port: StreamPort = createNodePort()): LiveTreeHandle {
  return createLiveTree(
    {
      streamHost: options.streamHost,
      restHost: options.restHost,
      authorization: options.authorization,
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
      ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
      ...(options.filter !== undefined ? { filter: options.filter } : {}),
      ...(options.policy !== undefined ? { policy: options.policy } : {}),
    },
    port,
  );
}
