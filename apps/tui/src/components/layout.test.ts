import { describe, expect, it } from 'vitest';
import { layoutOf } from './layout.js';

describe('layoutOf', () => {
  it('gives the detail pane room for a whole resource URI on a wide terminal, and no more than it needs', () => {
    const uri = ' /api/app/v1/demo/service/4d944fe8-9b66-4567-8abc-1234567890ab/';
    const wide = layoutOf({ columns: 200, rows: 50 });
    if (wide.kind !== 'wide') throw new Error(`expected the wide layout, got ${wide.kind}`);
    expect(wide.detailWidth).toBeGreaterThanOrEqual(uri.length + 1);
    expect(wide.treeWidth).toBeGreaterThan(wide.detailWidth);
    const usual = layoutOf({ columns: 120, rows: 40 });
    if (usual.kind !== 'wide') throw new Error(`expected the wide layout, got ${usual.kind}`);
    expect(usual.detailWidth).toBe(45);
  });
});
