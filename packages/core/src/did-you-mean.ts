// The hint after an unknown key or flag. A misspelt option is the commonest configuration
// mistake, and one silently ignored costs far more than one refused: the user then runs with the
// default (a server on the wrong port, a user who cannot read their organisation's events).

/**
 * The name that `typed` most likely meant, among `names`: the same name in another case, a known
 * near miss from `nearMisses` (`hostname` → `host`), one at most two edits away (`prot` →
 * `port`, `api_key` → `apikey`), or the only name that `typed` starts with or that starts with
 * `typed` (`heartbeat` → `heartbeatMs`). Undefined when no name is that close.
 *
 * @example
 * didYouMean('prot', ['host', 'port'])                          // 'port'
 * didYouMean('hostname', ['host', 'port'], { address: 'host' }) // 'host'
 * didYouMean('colour', ['host', 'port'])                        // undefined
 */
export function didYouMean(typed: string, names: readonly string[], nearMisses: Readonly<Record<string, string>> = {}): string | undefined {
  const lower = typed.trim().toLowerCase();
  const exact = names.find((name) => name.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  const near = Object.hasOwn(nearMisses, lower) ? nearMisses[lower] : undefined;
  if (near !== undefined && names.includes(near)) return near;
  let best: { name: string; distance: number } | undefined;
  // Two edits of a two-letter name could turn it into any other two-letter one.
  if (lower.length >= 3) {
    for (const name of names) {
      const distance = editDistance(lower, name.toLowerCase());
      if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
    }
  }
  if (best !== undefined) return best.name;
  const prefixed = names.filter((name) => {
    const other = name.toLowerCase();
    return (lower.startsWith(other) && other.length >= 4) || (other.startsWith(lower) && lower.length >= 4);
  });
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** ` (did you mean "port"?)` after an unknown key, or nothing when no name is close. */
export function didYouMeanHint(typed: string, names: readonly string[], nearMisses: Readonly<Record<string, string>> = {}): string {
  const match = didYouMean(typed, names, nearMisses);
  return match === undefined ? '' : ` (did you mean ${JSON.stringify(match)}?)`;
}

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and swaps of
 * neighbours (`hsot` is one edit from `host`).
 *
 * @example
 * editDistance('prot', 'port') // 1
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const above = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row.push(distance);
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] as number;
}
