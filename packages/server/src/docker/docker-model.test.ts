import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  imageNameOf,
  parseEngineEvent,
  parseEngineInfo,
  parseEngineNode,
  parseEngineService,
  parseEngineTime,
  parseEngineTimeNano,
  parseInspectedContainer,
  parseListedContainer,
  placementOf,
} from './docker-model.js';

const FIXTURES = join(import.meta.dirname, '../../test/docker/fixtures');
const initial = JSON.parse(readFileSync(join(FIXTURES, 'engine-initial.json'), 'utf8')) as { info: unknown; nodes: unknown[] };
const inspects = JSON.parse(readFileSync(join(FIXTURES, 'engine-inspects.json'), 'utf8')) as Record<string, { kind: string; json: unknown }[]>;

describe('engine JSON parsers', () => {
  it('read /info of a swarm manager', () => {
    const info = parseEngineInfo(initial.info);
    expect(info.swarm).toMatchObject({ manager: true, clusterName: 'default' });
    expect(info.engineId).toMatch(/^[A-Z0-9:]+$/);
    expect(info.systemTimeNano).toBeGreaterThan(1.7e18);
    expect(parseEngineInfo({ ID: 'X', Name: 'h', Swarm: { LocalNodeState: 'inactive', NodeID: '' } }).swarm).toBeNull();
  });

  it('read swarm nodes and services as the engine answers them', () => {
    const node = parseEngineNode(initial.nodes[0]);
    expect(node).toMatchObject({ state: 'ready', hostname: expect.any(String) });
    expect(node?.cpus).toBeGreaterThan(0);
    const service = Object.values(inspects)
      .flat()
      .map((r) => (r.kind === 'service' ? parseEngineService(r.json) : undefined))
      .find((s) => s?.stack === 'shop');
    expect(service).toMatchObject({ mode: 'replicated', image: 'busybox:local', stack: 'shop' });
    expect(parseEngineService({ ID: 'g', Spec: { Name: 'g', Mode: { Global: {} } } })).toMatchObject({ mode: 'global', replicas: null });
    // Swarm jobs (`--mode replicated-job`, `global-job`): their tasks run to completion.
    expect(parseEngineService({ ID: 'j', Spec: { Name: 'j', Mode: { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 2 } } } })).toMatchObject({ mode: 'job', replicas: null });
    expect(parseEngineService({ ID: 'k', Spec: { Name: 'k', Mode: { GlobalJob: {} } } })).toMatchObject({ mode: 'job', replicas: null });
    expect(parseEngineService({})).toBeUndefined();
  });

  it('read containers from an inspect and from a list entry', () => {
    const inspected = parseInspectedContainer({
      Id: 'abc',
      Name: '/web-1',
      State: { Status: 'exited', ExitCode: 137, StartedAt: '2026-11-27T09:41:17.5Z', FinishedAt: '2026-11-27T09:42:00Z' },
      Config: { Image: 'busybox:1.36@sha256:0123', Labels: { 'com.docker.compose.project': 'blog', 'com.docker.compose.service': 'web' } },
    });
    expect(inspected).toMatchObject({ name: 'web-1', image: 'busybox:1.36', status: 'exited', exitCode: 137, startedAt: Date.UTC(2026, 10, 27, 9, 41, 17, 500) });
    expect(inspected?.placement).toMatchObject({ stack: 'blog', composeService: 'web' });
    // A running container has no exit code, whatever the engine's 0 says; Go's zero time is "never".
    const running = parseInspectedContainer({ Id: 'r', State: { Status: 'running', ExitCode: 0, FinishedAt: '0001-01-01T00:00:00Z' } });
    expect([running?.exitCode, running?.finishedAt]).toEqual([null, null]);
    const listed = parseListedContainer({ Id: 'l', Names: ['/old'], State: 'exited', Status: 'Exited (2) 3 minutes ago', Labels: {} });
    expect([listed?.name, listed?.exitCode]).toEqual(['old', 2]);
  });

  it('read events, and refuse what is not one', () => {
    const line = JSON.parse(readFileSync(join(FIXTURES, 'engine-events.ndjson'), 'utf8').split('\n')[0] as string);
    expect(parseEngineEvent(line)).toMatchObject({ type: 'container', action: 'create', timeMs: expect.any(Number) });
    expect(parseEngineEvent({ status: 'create', id: 'x' })).toBeUndefined();
    expect(parseEngineEvent(null)).toBeUndefined();
  });

  it('read placement labels: stacks from swarm or Compose, Compose services only when named', () => {
    expect(placementOf({ 'com.docker.stack.namespace': 'shop', 'com.docker.swarm.service.id': 's1' })).toMatchObject({ stack: 'shop', swarmServiceId: 's1', composeProject: null });
    expect(placementOf({ 'com.docker.compose.project': 'blog' })).toMatchObject({ stack: 'blog', composeProject: null });
    expect(placementOf({})).toMatchObject({ stack: null, swarmServiceId: null, swarmNodeId: null });
  });

  it('read a Compose one-off container (docker compose run) as a plain one', () => {
    const compose = { 'com.docker.compose.project': 'blog', 'com.docker.compose.service': 'web' };
    expect(placementOf({ ...compose, 'com.docker.compose.oneoff': 'True' })).toMatchObject({ stack: null, composeProject: null, composeService: null });
    expect(placementOf({ ...compose, 'com.docker.compose.oneoff': 'False' })).toMatchObject({ stack: 'blog', composeProject: 'blog', composeService: 'web' });
  });

  it("read a container's stop timeout, when it sets one", () => {
    const timeout = (config: Record<string, unknown>) => parseInspectedContainer({ Id: 'x', State: { Status: 'running' }, Config: config })?.stopTimeoutMs;
    // -1: `docker stop` waits for ever.
    expect([timeout({ StopTimeout: 30 }), timeout({}), timeout({ StopTimeout: -1 })]).toEqual([30_000, null, Number.POSITIVE_INFINITY]);
  });

  it("read a swarm service's stop grace period (nanoseconds), when it sets one", () => {
    const grace = (containerSpec: Record<string, unknown>) => parseEngineService({ ID: 's', Spec: { Name: 'web', TaskTemplate: { ContainerSpec: containerSpec } } })?.stopGracePeriodMs;
    expect([grace({ StopGracePeriod: 23_000_000_000 }), grace({})]).toEqual([23_000, null]);
  });

  it('read times', () => {
    expect(parseEngineTimeNano('2026-11-27T09:41:17.793646928Z')).toBe(Date.UTC(2026, 10, 27, 9, 41, 17, 793) * 1e6 + 646_928);
    expect(parseEngineTime('0001-01-01T00:00:00Z')).toBeNull();
    expect(parseEngineTime(42)).toBeNull();
    expect(imageNameOf('x@sha256:1')).toBe('x');
  });
});
