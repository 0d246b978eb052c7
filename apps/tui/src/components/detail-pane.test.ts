import { createHierarchyStore, type StoredObject } from '@events/core';
import { describe, expect, it } from 'vitest';
import type { Row } from '../state/rows.js';
import type { FetchedFields } from '../fields-cache.js';
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

  it('says where its fields are from, on the clock they came with, and that a replay has none for an object its recording never saw, without a failure', () => {
    const store = createHierarchyStore();
    const service = '/api/app/v1/a/service/s1/';
    const container = '/api/app/v1/a/container/k1/';
    store.seed({ service: [{ uuid: 's1', resource_uri: service, name: 'web', state: 'Running', stack: null, containers: [], target_num_containers: 1, current_num_containers: 1 }] } as never, 0);
    // A container known only from its event (created after the listing).
    store.apply({ type: 'container', action: 'create', resource_uri: container, parents: [service], state: 'Starting', uuid: 'e1', datetime: 'Fri, 27 Nov 2026 09:00:00 +0000' } as never, 0);
    store.publish();
    const snapshot = store.getSnapshot();
    const rowOf = (uri: string) => ({ uri, object: snapshot.get(uri) as StoredObject, name: 'x', depth: 0, expandable: false, expanded: false, parentUri: null, context: false }) as unknown as Row;
    const at = Date.UTC(2026, 10, 27, 9, 1, 30);
    const text = (uri: string, fetched: FetchedFields) => detailLines({ snapshot, row: rowOf(uri), fetched, now: at, utc: true, view: 'stacks', target: undefined }).map((line) => `${line.kind}:${line.text}`);

    const missing = text(container, { status: 'unavailable', at, reason: 'not in the recording' });
    expect(missing).toContain('section:Fields (not in the recording)');
    expect(missing).toContain('dim: known only from events so far');
    expect(missing.filter((line) => line.startsWith('error:'))).toEqual([]);
    expect(missing.join('\n')).not.toContain('failed');

    expect(text(service, { status: 'ok', at, fields: { name: 'web', target_num_containers: 1 }, listed: true })).toContain('section:Fields (listed 09:01:30)');
    expect(text(service, { status: 'ok', at: at + 4_000, fields: { name: 'web' } })).toContain('section:Fields (GET 09:01:34)');
  });
});
