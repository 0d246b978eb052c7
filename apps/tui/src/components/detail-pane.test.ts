import { createHierarchyStore, type StoredObject } from '@events/core';
import { describe, expect, it } from 'vitest';
import type { Row } from '../state/rows.js';
import { detailLines } from './detail-pane.js';

describe('detailLines', () => {
  it('names objects in field lists, and shows URIs of other kinds (a region, a node type) as they are', () => {
    const store = createHierarchyStore();
    const cluster = '/api/infra/v1/a/nodecluster/c1/';
    const node = '/api/infra/v1/a/node/n1/';
    store.seed(
      {
        nodecluster: [{ uuid: 'c1', resource_uri: cluster, name: 'prod', state: 'Deployed', nodes: [node], target_num_nodes: 1, current_num_nodes: 1, region: '/api/infra/v1/region/aws/eu-west-1/', node_type: '/api/infra/v1/nodetype/aws/m4.large/' }],
        node: [{ uuid: 'n1', resource_uri: node, state: 'Deployed', node_cluster: cluster, external_fqdn: 'n1.example', docker_version: '1.11', cpu: 2, memory: 4096, current_num_containers: 0, last_seen: null }],
      } as never,
      0,
    );
    store.publish();
    const snapshot = store.getSnapshot();
    const object = snapshot.get(cluster) as StoredObject;
    const row = { uri: cluster, object, name: 'prod', depth: 0, expandable: true, expanded: true, parentUri: null, context: false } as unknown as Row;
    const text = detailLines({ snapshot, row, fetched: undefined, now: 0, utc: true, view: 'nodes', target: undefined }).map((line) => line.text);
    expect(text).toContain(' region: /api/infra/v1/region/aws/eu-west-1/');
    expect(text).toContain(' node_type: /api/infra/v1/nodetype/aws/m4.large/');
    expect(text.find((line) => line.startsWith(' nodes:'))).toMatch(/^ nodes: 1 \(node\/\S+\)$/);
    expect(text.join('\n')).not.toContain('?/');
    // A failed GET leads with why, not with the URL (which pushed the reason off the pane).
    const failed = detailLines({
      snapshot, row, now: 0, utc: true, view: 'nodes', target: undefined,
      fetched: { status: 'error', at: 0, message: `GET ${cluster}: HTTP 503: not in the recording (a replay is read-only)` },
    }).map((line) => line.text);
    expect(failed).toContain(' GET failed: HTTP 503: not in the recording (a replay is read-only)');
  });
});
