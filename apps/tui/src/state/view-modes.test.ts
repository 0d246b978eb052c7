import type { ObjectType } from '@events/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialViewFor, unlistedTypesText, type ViewMode, viewsShowing } from './view-modes.js';

// What each view lists, written out here rather than read from view-modes.ts: the model the checks compare against.
const TYPES_OF_VIEW: Readonly<Record<ViewMode, readonly ObjectType[]>> = {
  stacks: ['stack', 'service', 'container'],
  nodes: ['nodecluster', 'node', 'container'],
  containers: ['container'],
};

describe('views under --type', () => {
  const types = (...list: ObjectType[]) => new Set(list);

  it('opens on the view that shows the types asked for', () => {
    expect(initialViewFor(null)).toBe('stacks');
    expect(initialViewFor(types('stack'))).toBe('stacks');
    expect(initialViewFor(types('service'))).toBe('stacks');
    expect(initialViewFor(types('node'))).toBe('nodes');
    expect(initialViewFor(types('nodecluster'))).toBe('nodes');
    // Every view lists containers; the flat one names their stack, service and node.
    expect(initialViewFor(types('container'))).toBe('containers');
    expect(initialViewFor(types('node', 'container'))).toBe('nodes');
    expect(initialViewFor(types('service', 'container'))).toBe('stacks');
    // No view lists actions (the events pane does).
    expect(initialViewFor(types('action'))).toBe('stacks');
  });

  it('opens on a view that lists something of any set of types, the one listing the most (property)', () => {
    const all: ObjectType[] = ['stack', 'service', 'container', 'nodecluster', 'node', 'action'];
    fc.assert(
      fc.property(fc.subarray(all, { minLength: 1 }), (list) => {
        const wanted = new Set(list);
        const view = initialViewFor(wanted);
        const views = viewsShowing(wanted);
        if (views.length === 0) expect(view).toBe('stacks');
        else expect(views).toContain(view);
        const shown = (v: ViewMode) => TYPES_OF_VIEW[v].filter((type) => wanted.has(type)).length;
        for (const other of views) expect(shown(view)).toBeGreaterThanOrEqual(shown(other));
        expect(unlistedTypesText(view, wanted) === null).toBe(views.length > 0);
      }),
    );
  });

  it('says why a view lists nothing under --type, and which key shows the types', () => {
    expect(viewsShowing(types('node'))).toEqual(['nodes']);
    expect(viewsShowing(null)).toEqual(['stacks', 'nodes', 'containers']);
    expect(unlistedTypesText('stacks', types('node'))).toBe('nothing here under --type node: press 2 (Nodes)');
    expect(unlistedTypesText('containers', types('service'))).toBe('nothing here under --type service: press 1 (Stacks)');
    expect(unlistedTypesText('containers', types('stack', 'nodecluster'))).toBe('nothing here under --type stack,nodecluster: press 1 (Stacks) or 2 (Nodes)');
    expect(unlistedTypesText('stacks', types('action'))).toBe('nothing here under --type action: see the events pane');
    expect(unlistedTypesText('nodes', types('node'))).toBeNull();
    expect(unlistedTypesText('stacks', null)).toBeNull();
  });
});
