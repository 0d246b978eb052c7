import { type DockerCloudEvent, formatEventDatetime, type RestObjectByType, resourceUriFor, type SeedLists, type StateOf } from '@events/core';

export interface SyntheticAccount {
  readonly lists: SeedLists;
  readonly containers: readonly RestObjectByType['container'][];
  readonly services: readonly RestObjectByType['service'][];
  /** A container state change, as the server would send it. */
  event(index: number, state: StateOf<'container'>, at: number): DockerCloudEvent;
}

const hex = (n: number, width = 8) => n.toString(16).padStart(width, '0');
const uuid = (kind: number, n: number) => `${hex(kind, 8)}-0000-4000-8000-${hex(n, 12)}`;

/**
 * A big account built directly (no simulation): `stacks` stacks of `services` services of
 * `containers` containers, spread over 10 node clusters of 20 nodes. 100 × 5 × 19 gives about
 * 10,000 containers. Deterministic.
 */
export function createSyntheticAccount(stacks: number, services: number, containers: number, ns = 'bench'): SyntheticAccount {
  const date = 'Fri, 27 Nov 2026 09:00:00 +0000';
  const clusterList: RestObjectByType['nodecluster'][] = [];
  const nodeList: RestObjectByType['node'][] = [];
  for (let c = 0; c < 10; c++) {
    const uri = resourceUriFor('nodecluster', uuid(1, c), ns);
    const nodes: string[] = [];
    for (let n = 0; n < 20; n++) {
      const nodeUri = resourceUriFor('node', uuid(2, c * 20 + n), ns);
      nodes.push(nodeUri);
      nodeList.push({
        uuid: uuid(2, c * 20 + n), resource_uri: nodeUri, state: 'Deployed', node_cluster: uri, external_fqdn: `node-${c}-${n}.bench.example`,
        docker_version: '1.13.1', cpu: 4, memory: 8192, current_num_containers: 0, last_seen: date,
      });
    }
    clusterList.push({ uuid: uuid(1, c), resource_uri: uri, state: 'Deployed', name: `cluster-${c}`, nodes, target_num_nodes: 20, current_num_nodes: 20, region: null, node_type: null });
  }
  const stackList: RestObjectByType['stack'][] = [];
  const serviceList: RestObjectByType['service'][] = [];
  const containerList: RestObjectByType['container'][] = [];
  let k = 0;
  for (let s = 0; s < stacks; s++) {
    const stackUri = resourceUriFor('stack', uuid(3, s), ns);
    const serviceUris: string[] = [];
    for (let v = 0; v < services; v++) {
      const i = s * services + v;
      const serviceUri = resourceUriFor('service', uuid(4, i), ns);
      serviceUris.push(serviceUri);
      const containerUris: string[] = [];
      for (let c = 0; c < containers; c++, k++) {
        const node = nodeList[k % nodeList.length] as RestObjectByType['node'];
        const uri = resourceUriFor('container', uuid(5, k), ns);
        containerUris.push(uri);
        containerList.push({
          uuid: uuid(5, k), resource_uri: uri, state: 'Running', name: `svc${i}-${c + 1}`, image_name: 'acme/api:1', service: serviceUri, node: node.resource_uri,
          exit_code: null, started_datetime: date, stopped_datetime: null,
        });
      }
      serviceList.push({
        uuid: uuid(4, i), resource_uri: serviceUri, state: 'Running', name: `svc${i}`, image_name: 'acme/api:1', stack: stackUri, containers: containerUris,
        target_num_containers: containers, current_num_containers: containers, running_num_containers: containers, stopped_num_containers: 0,
      });
    }
    stackList.push({ uuid: uuid(3, s), resource_uri: stackUri, state: 'Running', name: `stack-${String(s).padStart(3, '0')}`, services: serviceUris, deployed_datetime: date, destroyed_datetime: null });
  }
  let n = 0;
  const serviceByUri = new Map(serviceList.map((service) => [service.resource_uri, service]));
  const nodeByUri = new Map(nodeList.map((node) => [node.resource_uri, node]));
  return {
    lists: { nodecluster: clusterList, node: nodeList, stack: stackList, service: serviceList, container: containerList, action: [] },
    containers: containerList,
    services: serviceList,
    event(index, state, at) {
      const container = containerList[index % containerList.length] as RestObjectByType['container'];
      const service = serviceByUri.get(container.service as string) as RestObjectByType['service'];
      const node = nodeByUri.get(container.node as string) as RestObjectByType['node'];
      return {
        type: 'container',
        action: 'update',
        parents: [container.service as string, service.stack as string, container.node as string, node.node_cluster as string],
        resource_uri: container.resource_uri,
        state,
        uuid: uuid(6, n++),
        datetime: formatEventDatetime(at),
      };
    },
  };
}
