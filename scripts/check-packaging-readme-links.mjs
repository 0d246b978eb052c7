// The README-links part of the packaging check. npm shows a package's README on its own page and
// in node_modules, without the repository around it: a relative link works there only if its
// target is in the package's tarball (and, on npmjs.com, not even then unless package.json has a
// `repository`, which these packages do not declare). So a README may link to a file it ships or
// to a heading of its own; everything else must be said in words.
import { posix } from 'node:path';

/**
 * The relative links of a package README that are broken once the README is read from the
 * package's tarball (on npm, in node_modules): targets outside the package, targets the tarball
 * does not hold, root-relative paths, and `#anchors` that no heading of the README produces.
 * Absolute URLs (`https:`, `mailto:`, `//host`) are left alone.
 *
 * @param {string} readme the README's text
 * @param {Iterable<string>} shipped the tarball's paths, relative to the package root (`npm pack --json`'s `files[].path`)
 * @returns {{ line: number, link: string, reason: string }[]}
 * @example
 * readmeLinkProblems('See [the docs](../../docs/a.md).', ['README.md', 'dist/index.js']);
 * // [{ line: 1, link: '../../docs/a.md', reason: 'points outside the package, so npm … cannot resolve it: …' }]
 */
export function readmeLinkProblems(readme, shipped) {
  const files = new Set([...shipped].map((path) => posix.normalize(path)));
  const headings = headingSlugs(readme);
  const problems = [];
  for (const { line, link } of readmeLinks(readme)) {
    const reason = brokenBecause(link, files, headings);
    if (reason) problems.push({ line, link, reason });
  }
  return problems;
}

const inWords = 'name the package (`@events/core`) or the file ("docs/x.md in the source repository") in words instead';

const brokenBecause = (link, files, headings) => {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith('//')) return null;
  const hash = link.indexOf('#');
  const target = hash === -1 ? link : link.slice(0, hash);
  const fragment = hash === -1 ? null : decode(link.slice(hash + 1));
  if (target === '') {
    if (fragment === null || fragment === '' || headings.has(fragment)) return null;
    return `matches no heading of this README (${headings.size > 0 ? `its anchors: ${[...headings].map((slug) => `#${slug}`).join(', ')}` : 'it has no headings'})`;
  }
  const path = decode(target.replace(/\?.*$/, ''));
  if (path.startsWith('/')) {
    return 'is root-relative: on npm it resolves against the website, not the package';
  }
  const resolved = posix.normalize(path).replace(/\/$/, '');
  if (resolved === '..' || resolved.startsWith('../')) {
    return `points outside the package, so npm, which shows the README without the repository, cannot resolve it: ${inWords}`;
  }
  if (resolved === '.' || files.has(resolved)) return null;
  const prefix = `${resolved}/`;
  for (const file of files) if (file.startsWith(prefix)) return null;
  return `is not in the package's tarball (package.json \`files\` leaves it out), so the link is broken on npm: ship it, or ${inWords}`;
};

const decode = (text) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

// Fenced code is not markdown; blanking it (and the inside of code spans) keeps line numbers and
// offsets while making `[x](y)` in an example invisible. A code span's backticks stay, so link
// text that is code (`[`@events/core`](../core)`) still reads as a link.
const withoutCode = (readme) => {
  let fence = null;
  const lines = readme.split('\n').map((line) => {
    const opener = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (opener && opener[1][0] === fence[0] && opener[1].length >= fence.length && line.trim() === opener[1].trim()) fence = null;
      return '';
    }
    if (opener) {
      fence = opener[1];
      return '';
    }
    return line.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (_, ticks, body) => ticks + ' '.repeat(body.length) + ticks);
  });
  return lines;
};

/** Every link target of a README, with its line: inline, reference definitions and HTML. */
const readmeLinks = (readme) => {
  // One text, not line by line: a link's text may wrap onto the next line.
  const text = withoutCode(readme).join('\n');
  const lineOf = (offset) => text.slice(0, offset).split('\n').length;
  const links = [];
  const add = (match, group) => {
    const link = match[group];
    links.push({ line: lineOf(match.index + match[0].lastIndexOf(link)), link: link.replace(/^<|>$/g, '') });
  };
  // [text](target "title"), ![alt](target): the text may hold one level of brackets.
  for (const match of text.matchAll(/!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g)) add(match, 1);
  for (const match of text.matchAll(/^ {0,3}\[[^\]]+\]:[ \t]*(<[^>]*>|\S+)/gm)) add(match, 1);
  for (const match of text.matchAll(/<(?:a|img|source)\b[^>]*?\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)) add(match, match[1] === undefined ? 2 : 1);
  return links;
};

/**
 * The anchors a README's headings get, as GitHub (and npm, which follows it) makes them:
 * lower-cased text, punctuation dropped, spaces as hyphens, `-1`, `-2` … on repeats. Explicit
 * `<a name>`/`id` anchors count too.
 */
export function headingSlugs(readme) {
  const slugs = new Set();
  const seen = new Map();
  const add = (heading) => {
    const text = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .replace(/[`*]/g, '')
      .trim();
    const base = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    slugs.add(count === 0 ? base : `${base}-${count}`);
  };
  const lines = withoutCodeKeepingText(readme);
  lines.forEach((line, index) => {
    const atx = /^ {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$/.exec(line);
    if (atx) add(atx[1] ?? '');
    else if (index > 0 && /^ {0,3}(?:=+|-+)\s*$/.test(line) && lines[index - 1].trim() !== '' && !/^ {0,3}#/.test(lines[index - 1])) {
      add(lines[index - 1]);
    }
    for (const match of line.matchAll(/<[a-z]+\b[^>]*?\s(?:name|id)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)) slugs.add(match[1] ?? match[2]);
  });
  return slugs;
}

// Headings keep their code spans' text (`## \`createLiveTree(options?)\``), so only fences go.
const withoutCodeKeepingText = (readme) => {
  const blanked = withoutCode(readme);
  return readme.split('\n').map((line, index) => (blanked[index] === '' ? '' : line));
};
