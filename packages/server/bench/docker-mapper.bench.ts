// The Docker mapper's throughput: real engine `/events` lines (recorded by
// test/docker/record-engine-events.ts) replayed through JSON.parse + DockerMapper, against
// JSON.parse of the same lines alone. Target: ≥ 0.3× the speed of JSON.parse alone.
//
//   node --conditions=@events/source --import tsx bench/docker-mapper.bench.ts
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DockerMapper } from '../src/docker/docker-mapper.js';
import { createEventUuids } from '../src/docker/docker-uuid.js';
import { type EngineContainer, type EngineSnapshot, parseEngineInfo, parseEngineNode, placementOf } from '../src/docker/docker-model.js';

const FIXTURES = join(import.meta.dirname, '../test/docker/fixtures');

/**
 * Warms up, then runs batches until `minMs` of this process's CPU time passed; CPU ns per call.
 * CPU time, not wall time: the machines here run other work, and a benchmark that waited for the
 * CPU would measure them.
 */
function measureNs(fn: () => void, { minMs = 300, batch = 1 } = {}): number {
  for (let i = 0; i < batch * 20; i++) fn();
  let calls = 0;
  const start = process.cpuUsage();
  let elapsedUs = 0;
  while (elapsedUs < minMs * 1000) {
    for (let i = 0; i < batch; i++) fn();
    calls += batch;
    const used = process.cpuUsage(start);
    elapsedUs = used.user + used.system;
  }
  return (elapsedUs * 1000) / calls;
}

function bestOfNs(runs: number, fn: () => void, options?: { minMs?: number; batch?: number }): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) best = Math.min(best, measureNs(fn, options));
  return best;
}

const line = (label: string, value: string, target?: string) => console.log(`${label.padEnd(58)} ${value}${target ? `   (${target})` : ''}`);
const fmt = (n: number, digits = 2) => n.toFixed(digits);

export default async function benchDockerMapper(): Promise<void> {
  const recorded = readFileSync(join(FIXTURES, 'engine-events.ndjson'), 'utf8').trim().split('\n');
  const recordedInspects = JSON.parse(readFileSync(join(FIXTURES, 'engine-inspects.json'), 'utf8')) as Record<string, { id: string; json: unknown }[]>;
  // What a live source receives: the engine filters `/events` by type for it (container, service,
  // node), so the recorded network events (cheap to skip) are left out here too.
  const kept = recorded.flatMap((text, i) => (/"Type":"(container|service|node)"/.test(text) ? [i] : []));
  const lines = kept.map((i) => recorded[i] as string);
  const inspects: Record<string, { id: string; json: unknown }[]> = {};
  kept.forEach((from, to) => {
    const answers = recordedInspects[from];
    if (answers) inspects[to] = answers;
  });
  const initial = JSON.parse(readFileSync(join(FIXTURES, 'engine-initial.json'), 'utf8')) as { info: unknown; nodes: unknown[] };
  const info = parseEngineInfo(initial.info);
  const nodes = initial.nodes.flatMap((json) => parseEngineNode(json) ?? []);
  const bytes = lines.reduce((sum, l) => sum + l.length, 0) / lines.length;

  // The session replayed on a long-lived mapper, as the source runs it: every line parsed and
  // mapped, the inspects the mapper asks for answered from the recording. The session ends with
  // everything it created removed, so it can be replayed again and again on the same mapper.
  let sink = 0;
  const replayOn = (mapper: DockerMapper) => {
    for (let i = 0; i < lines.length; i++) {
      const output = mapper.applyEvent(JSON.parse(lines[i] as string));
      sink += output.events.length;
      for (const effect of output.effects) {
        // The recording has no container inspects: containers keep the engine's default stop timeout.
        if (effect.kind === 'resync' || effect.kind === 'inspect-container') continue;
        const json = inspects[i]?.find((r) => r.id === effect.id)?.json ?? undefined;
        sink += (effect.kind === 'inspect-service' ? mapper.applyServiceInspect(effect.id, json) : mapper.applyNodeInspect(effect.id, json)).events.length;
      }
    }
  };
  const parseAll = () => {
    for (let i = 0; i < lines.length; i++) sink += (JSON.parse(lines[i] as string) as { Type: string }).Type.length;
  };
  const mapperFor = (snapshot: EngineSnapshot) => {
    const mapper = new DockerMapper({ namespace: 'bench', now: Date.now, randomUuid: createEventUuids() });
    mapper.applySnapshot(snapshot);
    return mapper;
  };
  const empty: EngineSnapshot = { info, nodes, services: [], containers: [] };
  // The same on a busier engine: 1,000 other containers (the work per event must not grow with it).
  const others: EngineContainer[] = Array.from({ length: 1_000 }, (_, i) => ({
    id: `${String(i).padStart(8, '0')}${'ab'.repeat(28)}`,
    name: `other-${i}`,
    image: 'busybox:local',
    status: i % 3 === 0 ? 'exited' : 'running',
    stopping: false,
    exitCode: i % 3 === 0 ? 0 : null,
    startedAt: 1_795_000_000_000,
    finishedAt: i % 3 === 0 ? 1_795_000_100_000 : null,
    placement: placementOf(i % 2 === 0 ? { 'com.docker.compose.project': `p${i % 20}`, 'com.docker.compose.service': `s${i % 5}` } : {}),
  }));
  const busy: EngineSnapshot = { ...empty, containers: others };
  const small = mapperFor(empty);
  const large = mapperFor(busy);

  // The machines here are noisy: the three measurements alternate, and each keeps its best.
  let jsonNs = Number.POSITIVE_INFINITY;
  let mappedNs = Number.POSITIVE_INFINITY;
  let busyNs = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 7; round++) {
    jsonNs = Math.min(jsonNs, measureNs(parseAll, { minMs: 150 }) / lines.length);
    mappedNs = Math.min(mappedNs, measureNs(() => replayOn(small), { minMs: 150 }) / lines.length);
    busyNs = Math.min(busyNs, measureNs(() => replayOn(large), { minMs: 150 }) / lines.length);
  }
  const firstListNs = bestOfNs(3, () => mapperFor(busy), { minMs: 200 });
  const relistNs = bestOfNs(3, () => large.applySnapshot(busy), { minMs: 200 });

  console.log(`\n# Docker engine events → Docker Cloud events (${lines.length} recorded container/service/node lines, ~${fmt(bytes, 0)} bytes each; sink ${sink > 0})`);
  line('JSON.parse alone', `${fmt(jsonNs / 1000, 3)} µs/line  ${fmt(1e9 / jsonNs / 1e3, 0)} k lines/s`);
  line('JSON.parse + DockerMapper', `${fmt(mappedNs / 1000, 3)} µs/line  ${fmt(1e9 / mappedNs / 1e3, 0)} k lines/s`);
  line('the same beside 1,000 other containers', `${fmt(busyNs / 1000, 3)} µs/line  ${fmt(1e9 / busyNs / 1e3, 0)} k lines/s`);
  line('first listing of 1,000 containers (applySnapshot)', `${fmt(firstListNs / 1e6, 2)} ms`);
  line('a re-list of the same 1,000 (no changes, no events)', `${fmt(relistNs / 1e6, 2)} ms`);
  line('mapping speed relative to JSON.parse alone', `${fmt(jsonNs / mappedNs)}×`, 'target ≥ 0.30×');
  line('  beside 1,000 other containers', `${fmt(jsonNs / busyNs)}×`, 'target ≥ 0.30×');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchDockerMapper();
