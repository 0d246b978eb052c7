import { createHierarchyStore } from '@events/core';
import { describe, expect, it } from 'vitest';
import { parentUri } from './tree-pane.js';

const service = '/api/app/v1/a/service/5f1c-01/';
const stack = '/api/app/v1/a/stack/9a2e-01/';
const node = '/api/infra/v1/a/node/77aa-01/';

describe('parentUri', () => {
  const empty = createHierarchyStore().getSnapshot();

  it('takes the parent of the type from the parents the object came with', () => {
    expect(parentUri(empty, [service, stack, node], 'stack', undefined)).toBe(stack);
    expect(parentUri(empty, [service, stack, node], 'node', undefined)).toBe(node);
    expect(parentUri(empty, [service], 'node', undefined)).toBeUndefined();
  });

  it("finds a container's stack through its service's fetched fields when its parents lack it", () => {
    // A container listed under `--type container`: the tree holds no service to resolve the stack through.
    const fields = (uri: string) => (uri === service ? { name: 'web', stack } : undefined);
    expect(parentUri(empty, [service, node], 'stack', fields)).toBe(stack);
    expect(parentUri(empty, [service, node], 'stack', undefined)).toBeUndefined();
    // A field that is no stack URI is not taken for one.
    expect(parentUri(empty, [service], 'stack', () => ({ stack: node }))).toBeUndefined();
    expect(parentUri(empty, [service], 'stack', () => ({ stack: null }))).toBeUndefined();
  });
});
