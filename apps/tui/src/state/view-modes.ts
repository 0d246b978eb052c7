import type { HierarchyTree, ObjectType } from '@events/core';

/** The three ways to look at an account (keys 1, 2, 3). */
export type ViewMode = 'stacks' | 'nodes' | 'containers';
export const VIEW_MODES: readonly ViewMode[] = ['stacks', 'nodes', 'containers'];

export const VIEW_TITLES: Readonly<Record<ViewMode, string>> = {
  stacks: 'Stacks',
  nodes: 'Nodes',
  containers: 'Containers',
};

export interface ViewShape {
  readonly tree: HierarchyTree | null;
  readonly rootTypes: readonly ObjectType[];
  /** The types the view shows, top down. */
  readonly types: readonly ObjectType[];
}

export const SHAPES: Readonly<Record<ViewMode, ViewShape>> = {
  stacks: { tree: 'app', rootTypes: ['stack'], types: ['stack', 'service', 'container'] },
  nodes: { tree: 'infra', rootTypes: ['nodecluster'], types: ['nodecluster', 'node', 'container'] },
  containers: { tree: null, rootTypes: ['container'], types: ['container'] },
};

/**
 * The views that can show any of `types` (the command line's `--type`; null: every type), in
 * key order: `--type node` is shown by the nodes view only, `--type container` by all three.
 *
 * @example
 * viewsShowing(new Set(['node'])) // ['nodes']
 * viewsShowing(null) // ['stacks', 'nodes', 'containers']
 */
export function viewsShowing(types: ReadonlySet<ObjectType> | null): readonly ViewMode[] {
  if (types === null) return VIEW_MODES;
  return VIEW_MODES.filter((view) => SHAPES[view].types.some((type) => types.has(type)));
}

/**
 * The view a run opens on: the one that shows the most of `types`, and of those the one that
 * shows them highest up (`--type container`: the flat containers view, which names each one's
 * stack, service and node, rather than a tree of parents that are not there). The stacks view
 * when every type is wanted, or when no view shows any (`--type action`: the events pane does).
 *
 * @example
 * initialViewFor(new Set(['node'])) // 'nodes'
 * initialViewFor(new Set(['container'])) // 'containers'
 * initialViewFor(new Set(['service', 'container'])) // 'stacks'
 */
export function initialViewFor(types: ReadonlySet<ObjectType> | null): ViewMode {
  let best: ViewMode = 'stacks';
  let bestShown = 0;
  let bestDepth = Number.POSITIVE_INFINITY;
  if (types === null) return best;
  for (const view of VIEW_MODES) {
    const levels = SHAPES[view].types;
    const shown = levels.filter((type) => types.has(type)).length;
    const depth = levels.findIndex((type) => types.has(type));
    if (shown > bestShown || (shown === bestShown && shown > 0 && depth < bestDepth)) {
      best = view;
      bestShown = shown;
      bestDepth = depth;
    }
  }
  return best;
}

/**
 * Why `view` is empty by design under `--type` (it lists none of `types`), and which key shows
 * them instead; null when the view can show some of them. Short: it fits a 60-column pane.
 *
 * @example
 * unlistedTypesText('stacks', new Set(['node'])) // 'nothing here under --type node: press 2 (Nodes)'
 */
export function unlistedTypesText(view: ViewMode, types: ReadonlySet<ObjectType> | null): string | null {
  if (types === null || types.size === 0 || SHAPES[view].types.some((type) => types.has(type))) return null;
  const asked = `nothing here under --type ${[...types].join(',')}`;
  const views = viewsShowing(types);
  if (views.length === 0) return `${asked}: see the events pane`;
  return `${asked}: press ${views.map((other) => `${VIEW_MODES.indexOf(other) + 1} (${VIEW_TITLES[other]})`).join(' or ')}`;
}
