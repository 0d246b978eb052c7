/** The six object types that emit events, in the order their REST lists are read. */
export const OBJECT_TYPES = ['nodecluster', 'node', 'stack', 'service', 'container', 'action'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

/** `error` is a frame type, not an object type. */
export const EVENT_TYPES = [...OBJECT_TYPES] as const;
export type EventType = ObjectType;

export const EVENT_ACTIONS = ['create', 'update', 'delete'] as const;
export type EventAction = (typeof EVENT_ACTIONS)[number];

/** Which API a type lives under: the first segment after /api/. */
export const API_OF_TYPE: Readonly<Record<ObjectType, 'app' | 'infra' | 'audit'>> = {
  stack: 'app',
  service: 'app',
  container: 'app',
  nodecluster: 'infra',
  node: 'infra',
  action: 'audit',
};

export const STATES = {
  stack: ['Not running', 'Starting', 'Running', 'Partly running', 'Stopping', 'Stopped', 'Redeploying', 'Terminating', 'Terminated'],
  service: ['Not running', 'Starting', 'Running', 'Partly running', 'Scaling', 'Redeploying', 'Stopping', 'Stopped', 'Terminating', 'Terminated'],
  container: ['Starting', 'Running', 'Stopping', 'Stopped', 'Terminating', 'Terminated'],
  nodecluster: ['Init', 'Deploying', 'Deployed', 'Partly deployed', 'Scaling', 'Terminating', 'Terminated', 'Empty cluster'],
  node: ['Deploying', 'Deployed', 'Unreachable', 'Upgrading', 'Terminating', 'Terminated'],
  action: ['Pending', 'In progress', 'Canceling', 'Canceled', 'Success', 'Failed'],
} as const satisfies Record<ObjectType, readonly string[]>;

export type StateOf<T extends ObjectType> = (typeof STATES)[T][number];
export type State = StateOf<ObjectType>;

/**
 * Variants seen in the Docker Cloud docs and some clients, accepted on input and emitted in the
 * canonical form (protocol.md §7).
 */
const STATE_VARIANTS: ReadonlyMap<string, string> = new Map([
  ['Not Running', 'Not running'],
  ['Empty', 'Empty cluster'],
]);

const stateSets = Object.fromEntries(
  Object.entries(STATES).map(([type, states]) => [type, new Set<string>(states)]),
) as unknown as Record<ObjectType, ReadonlySet<string>>;

/** The canonical state string for `type`, or undefined when `state` is not one of its states. */
export function normalizeState<T extends ObjectType>(type: T, state: string): StateOf<T> | undefined {
  // A scan of at most ten short strings, not a Set lookup: it returns the canonical string itself
  // (the store then compares states by pointer), and a string fresh out of JSON.parse would have
  // to be hashed for the Set.
  for (const known of STATES[type]) if (known === state) return known as StateOf<T>;
  const variant = STATE_VARIANTS.get(state);
  return variant !== undefined && stateSets[type].has(variant) ? (variant as StateOf<T>) : undefined;
}

export function isObjectType(value: string): value is ObjectType {
  return (OBJECT_TYPES as readonly string[]).includes(value);
}

/** States after which an object changes no more until the next operation. */
const TRANSITIONAL = new Set<string>([
  'Starting', 'Stopping', 'Redeploying', 'Terminating', 'Scaling', 'Deploying', 'Upgrading', 'Init',
  'Pending', 'In progress', 'Canceling',
]);

export function isTransitionalState(state: string): boolean {
  return TRANSITIONAL.has(state);
}

export function isTerminatedState(state: string): boolean {
  return state === 'Terminated';
}

/** An action's states once it is over: it changes no more. */
export function isEndedActionState(state: string): boolean {
  return state === 'Success' || state === 'Failed' || state === 'Canceled';
}
