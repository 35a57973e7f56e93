/**
 * Fixed queries compiled once and run many times with new values.
 *
 * Building a Kysely query and compiling it to SQL cost ~40 µs of CPU per query, about as much as
 * running it on SQLite; DescribeImages runs ten per request (bench/describe-images.ts profile).
 * A query whose shape only depends on a key (e.g. how many ids an `IN` list has) is built once
 * per key with marker values, compiled, and its SQL reused; each run puts the real values where
 * the markers were.
 */
import type { Compilable, CompiledQuery, Kysely } from 'kysely';

interface Compiled {
  query: CompiledQuery;
  /** For each parameter of the SQL, the index of the value it takes. */
  slots: number[];
}

/** Distinct compiled shapes kept per dialect; `IN` lists of 1–100 ids make most of them. */
const MAX_SHAPES = 1_000;
const MARKER = '\u0000ecsimg-slot:';

// The SQL text depends only on the dialect (placeholders, quoting), so a transaction's Kysely
// shares the cache of the database it runs on through their common adapter.
const byAdapter = new WeakMap<object, Map<string, Compiled>>();
let runs = 0;

/**
 * Runs the query `build` makes from `markers` (one per value, used exactly where the value
 * belongs — never transformed, since only the marker's position is recorded), compiled once per
 * `key`. Every parameter of the compiled SQL must come from a marker: a constant built into the
 * query must be passed as a value too, or it would be frozen into the cached SQL.
 */
export async function runCompiled<R, DB>(
  db: Kysely<DB>,
  key: string,
  values: readonly unknown[],
  build: (markers: readonly string[]) => Compilable<R>,
): Promise<R[]> {
  const adapter = db.getExecutor().adapter;
  let cache = byAdapter.get(adapter);
  if (!cache) byAdapter.set(adapter, (cache = new Map()));

  let compiled = cache.get(key);
  if (!compiled) {
    const markers = values.map((_, i) => `${MARKER}${i}`);
    const query = build(markers).compile();
    const slots = query.parameters.map((p) => {
      if (typeof p !== 'string' || !p.startsWith(MARKER)) {
        throw new Error(`compiled query "${key}" has a parameter that is not a marker`);
      }
      return Number(p.slice(MARKER.length));
    });
    compiled = { query, slots };
    if (cache.size >= MAX_SHAPES) cache.delete(cache.keys().next().value!);
    cache.set(key, compiled);
  }

  const parameters = compiled.slots.map((slot) => values[slot]);
  // A fresh query id per run: plugins keep per-query state under it.
  const queryId = { queryId: `${key}:${++runs}` };
  const result = await db.executeQuery<R>({ ...compiled.query, parameters, queryId });
  return result.rows;
}
