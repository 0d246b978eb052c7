import { formatEvent, formatEventDatetime, parseFrame } from '../src/index.js';
import { bestOfNs, fmt, line } from './measure.js';

/** Parse + validate of event frames against JSON.parse alone, on the same frames. */
export default async function benchParse(): Promise<void> {
  const frames: string[] = [];
  for (let i = 0; i < 1000; i++) {
    frames.push(
      formatEvent({
        type: 'container',
        action: 'update',
        parents: [
          `/api/app/v1/acme/service/5f1c${i}-aaaa-4bbb-8ccc-000000000000/`,
          '/api/app/v1/acme/stack/9a2e0000-aaaa-4bbb-8ccc-000000000000/',
          '/api/infra/v1/acme/node/77b00000-aaaa-4bbb-8ccc-000000000000/',
          '/api/infra/v1/acme/nodecluster/03cd0000-aaaa-4bbb-8ccc-000000000000/',
        ],
        resource_uri: `/api/app/v1/acme/container/0b0e${i}-88df-4f07-9aed-3a3cc4175076/`,
        state: i % 2 ? 'Running' : 'Stopped',
        uuid: `e1b6c1f2-5d2c-4a43-9b83-${String(i).padStart(12, '0')}`,
        datetime: formatEventDatetime(1_800_000_000_000 + i * 1000),
      }),
    );
  }
  let k = 0;
  let sink = 0;
  const jsonNs = bestOfNs(5, () => {
    sink += (JSON.parse(frames[k++ % frames.length] as string) as { type: string }).type.length;
  });
  const parseNs = bestOfNs(5, () => {
    const r = parseFrame(frames[k++ % frames.length] as string);
    sink += r.ok ? 1 : 0;
  });
  const bytes = frames[0]?.length ?? 0;
  console.log(`\n# parse + validate (${bytes}-byte container event frames; sink ${sink > 0})`);
  line('JSON.parse alone', `${fmt(jsonNs / 1000, 3)} µs/event  ${fmt(1e9 / jsonNs / 1e3, 0)} k events/s`);
  line('parseFrame (JSON.parse + full validation)', `${fmt(parseNs / 1000, 3)} µs/event  ${fmt(1e9 / parseNs / 1e3, 0)} k events/s`);
  line('speed relative to JSON.parse alone', `${fmt(jsonNs / parseNs)}×`, 'target ≥ 0.60×');
}
