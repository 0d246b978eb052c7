import type { OperationName } from './source.js';

const TYPE_TITLES = { stack: 'Stack', service: 'Service', container: 'Container' } as const;
const OPERATION_TITLES: Readonly<Record<OperationName, string>> = {
  start: 'Start',
  stop: 'Stop',
  redeploy: 'Redeploy',
  terminate: 'Terminate',
  scale: 'Scale',
};

/**
 * Docker Cloud's name for an action (the `action` field of a REST action object). Both sources,
 * the simulator and the Docker mapper, name their actions with it.
 *
 * @example
 * actionNameOf('service', 'scale') // 'Service Scale'
 */
export function actionNameOf(type: 'stack' | 'service' | 'container', operation: OperationName): string {
  return `${TYPE_TITLES[type]} ${OPERATION_TITLES[operation]}`;
}
