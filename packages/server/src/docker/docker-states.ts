import type { StateOf } from '@events/core';
import type { EngineContainerStatus } from './docker-model.js';

// How engine facts become Docker Cloud resting states (protocol.md §7). Pure.

/** Running, or paused (which still holds its place). */
export const isUp = (status: EngineContainerStatus): boolean => status === 'running' || status === 'paused';
/** Exited or dead. */
export const isDown = (status: EngineContainerStatus): boolean => status === 'exited' || status === 'dead';

/**
 * A container's resting state from the engine's. Docker Cloud had no paused state, and a paused
 * container still holds its place, so it stays `Running`.
 *
 * @example
 * containerStateOf('exited', false) // 'Stopped'
 * containerStateOf('running', true) // 'Stopping' (SIGTERM sent, not dead yet)
 */
export function containerStateOf(status: EngineContainerStatus, stopping: boolean): StateOf<'container'> {
  switch (status) {
    case 'running':
    case 'paused':
      return stopping ? 'Stopping' : 'Running';
    case 'created':
    case 'restarting':
      return 'Starting';
    case 'removing':
      return 'Terminating';
    case 'exited':
    case 'dead':
      return 'Stopped';
  }
}

/**
 * A swarm service's resting state from its target and its running containers.
 *
 * @example
 * swarmServiceStateOf(3, 2) // 'Partly running'
 * swarmServiceStateOf(0, 0) // 'Stopped' (scaled to zero)
 */
export function swarmServiceStateOf(target: number, running: number): StateOf<'service'> {
  if (running === 0) return target === 0 ? 'Stopped' : 'Not running';
  return running >= target ? 'Running' : 'Partly running';
}

/**
 * A Compose service (or any service known only from its containers' labels) has no target: it is
 * running when all of its containers are. A stack of containers outside any service too: the
 * states it gives are a stack's as well as a service's.
 *
 * @example
 * labelServiceStateOf(2, 1, 0) // 'Partly running'
 * labelServiceStateOf(1, 0, 1) // 'Starting' (its container is created, not started yet)
 */
export function labelServiceStateOf(containers: number, running: number, starting: number): StateOf<'service'> & StateOf<'stack'> {
  if (running === 0) return starting > 0 ? 'Starting' : 'Stopped';
  return running >= containers ? 'Running' : 'Partly running';
}

/**
 * A stack's state from its services' states: resting, or `Starting` while one of its services
 * is. A stack whose services are all gone while some of its containers remain (`docker stack rm`
 * in progress) is `Terminating`.
 *
 * @example
 * stackStateOf(['Running', 'Scaling']) // 'Running'
 * stackStateOf(['Running', 'Stopped']) // 'Partly running'
 * stackStateOf(['Running', 'Starting']) // 'Starting' (a deploy under way)
 */
export function stackStateOf(serviceStates: readonly string[]): StateOf<'stack'> {
  let running = 0;
  let partly = 0;
  let starting = 0;
  let stopped = 0;
  let terminating = 0;
  for (const state of serviceStates) {
    switch (state) {
      case 'Running':
      case 'Scaling':
      case 'Redeploying':
        running++;
        break;
      case 'Partly running':
        partly++;
        break;
      case 'Starting':
        starting++;
        break;
      case 'Stopped':
      case 'Stopping':
        stopped++;
        break;
      case 'Terminating':
      case 'Terminated':
        terminating++;
        break;
    }
  }
  const live = serviceStates.length - terminating;
  if (live === 0) return 'Terminating';
  if (running === live) return 'Running';
  // A service still starting (a `docker stack deploy`, a `compose up`) keeps the stack transitional:
  // a resting `Partly running` would have a load balancer reconfigure on a half-started stack.
  if (starting > 0) return 'Starting';
  if (running === 0 && partly === 0) return stopped > 0 ? 'Stopped' : 'Not running';
  return 'Partly running';
}

