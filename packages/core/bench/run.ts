// `npm run bench` in packages/core: every core benchmark in one run, each printed against a
// baseline measured in the same run (machines here are noisy; ratios travel, absolute numbers less).
import { cpus } from 'node:os';
import benchFilters from './filter.bench.js';
import benchParse from './parse.bench.js';
import benchStore from './store.bench.js';

console.log(`@events/core benchmarks — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
await benchFilters();
await benchStore();
await benchParse();
