// Run by `npm run test:packaging` (node's own test runner: scripts/ is no workspace package).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { headingSlugs, readmeLinkProblems } from './check-packaging-readme-links.mjs';

const shipped = ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'src/keymap.ts'];
const links = (readme) => readmeLinkProblems(readme, shipped).map(({ line, link }) => `${line} ${link}`);

describe('readmeLinkProblems', () => {
  it('flags links that leave the package, naming the line and why', () => {
    const problems = readmeLinkProblems('# x\n\nSee [docs](../../docs/extended-protocol.md#positions)\nand [core](../core).', shipped);
    assert.deepEqual(
      problems.map(({ line, link }) => [line, link]),
      [
        [3, '../../docs/extended-protocol.md#positions'],
        [4, '../core'],
      ],
    );
    assert.match(problems[0].reason, /outside the package/);
  });

  it('accepts shipped files and directories, and flags what `files` leaves out', () => {
    const readme = '[a](dist/index.js) [b](./src/keymap.ts) [c](dist) [d](dist/) [e](LICENSE) [f](test/fixtures) [g](bench/run.ts?x=1)';
    assert.deepEqual(links(readme), ['1 test/fixtures', '1 bench/run.ts?x=1']);
    assert.match(readmeLinkProblems('[f](test/fixtures)', shipped)[0].reason, /not in the package's tarball/);
  });

  it('resolves `..` inside the package and percent-escapes before looking', () => {
    assert.deepEqual(links('[a](src/../dist/index.js) [b](dist/index%2Ejs) [c](src/../../x.md)'), ['1 src/../../x.md']);
  });

  it('leaves absolute URLs alone and flags root-relative paths', () => {
    assert.deepEqual(links('[a](https://github.com/websockets/ws) [b](mailto:x@y.z) [c](//cdn.example/x.js) [d](/docs/a.md)'), ['1 /docs/a.md']);
    assert.match(readmeLinkProblems('[d](/docs/a.md)', shipped)[0].reason, /root-relative/);
  });

  it('checks same-README anchors against the headings', () => {
    const readme = [
      '# @events/core',
      '## What is in it',
      '### `createLiveTree(options?): LiveTree`',
      '## Example',
      '## Example',
      'Setext heading',
      '--------------',
      '<a name="custom"></a>',
      '[a](#what-is-in-it) [b](#createlivetreeoptions-livetree) [c](#example-1) [d](#setext-heading) [e](#custom) [f](#eventscore)',
      '[g](#missing) [h](#example-2)',
    ].join('\n');
    assert.deepEqual(links(readme), ['10 #missing', '10 #example-2']);
    assert.match(readmeLinkProblems(readme, shipped)[0].reason, /^matches no heading of this README \(its anchors: #eventscore, #what-is-in-it, /);
  });

  it('ignores links in code, and finds them in link text that is code', () => {
    const readme = ['```md', '[x](../../fenced.md)', '```', '`[y](../inline.md)` and [`@events/core`](../core)', '~~~', '[z](../tilde.md)', '~~~'].join('\n');
    assert.deepEqual(links(readme), ['4 ../core']);
  });

  it('finds images, reference definitions, HTML links and link text that wraps', () => {
    const readme = ['![shot](docs/shot.png)', '[ref]: ../../BENCHMARKS.md "numbers"', '<a href="../x.md">x</a> <img src=\'y.png\'>', '[a wrapped', 'text](../wrapped.md)'].join('\n');
    assert.deepEqual(links(readme), ['1 docs/shot.png', '5 ../wrapped.md', '2 ../../BENCHMARKS.md', '3 ../x.md', '3 y.png']);
  });

  it('accepts every link to a shipped path and refuses every other one (property)', () => {
    const segment = fc.stringMatching(/^[a-z][a-z0-9-]{0,7}$/);
    const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));
    fc.assert(
      fc.property(fc.uniqueArray(path, { minLength: 1, maxLength: 8 }), path, (files, other) => {
        for (const file of files) assert.deepEqual(readmeLinkProblems(`[x](${file})`, files), []);
        const inside = files.some((file) => file === other || file.startsWith(`${other}/`));
        assert.equal(readmeLinkProblems(`[x](${other})`, files).length, inside ? 0 : 1);
        assert.equal(readmeLinkProblems(`[x](../${other})`, [...files, other]).length, 1);
      }),
    );
  });
});

describe('headingSlugs', () => {
  it('slugs as GitHub and npm do', () => {
    assert.deepEqual(
      [...headingSlugs('# @events/tui\n## Tests and benchmark\n## Node 20\n## Coming from python-dockercloud or go-dockercloud\n```\n# not a heading\n```')],
      ['eventstui', 'tests-and-benchmark', 'node-20', 'coming-from-python-dockercloud-or-go-dockercloud'],
    );
  });
});
