/**
 * `GET /api/errors`: the whole error catalogue as JSON, for the console's troubleshooting page
 * (the `Recommend` link of every error response points there). `GET /api/errors/:code` answers
 * one entry, looked up ignoring case, or 404 with `{code, found: false}`.
 *
 * The catalogue is public knowledge (the same texts ship with the CLI), so no credentials are
 * asked for.
 */
import type { FastifyInstance } from 'fastify';
import { CATALOGUE, lookupError, type ErrorEntry } from '../domain/errors/index.js';

export interface CatalogueEntry extends ErrorEntry {
  code: string;
}

/** Every entry with its code, sorted by code. */
export function catalogueEntries(): CatalogueEntry[] {
  return Object.keys(CATALOGUE)
    .sort()
    .map((code) => ({ code, ...CATALOGUE[code] }));
}

export async function errorsRoute(app: FastifyInstance): Promise<void> {
  // Built once: the catalogue is fixed for the life of the process.
  const all = JSON.stringify({ errors: catalogueEntries() });

  app.get('/api/errors', async (_req, reply) =>
    reply.header('content-type', 'application/json; charset=utf-8').send(all),
  );

  app.get<{ Params: { code: string } }>('/api/errors/:code', async (req, reply) => {
    const hit = lookupError(req.params.code);
    if (!hit) return reply.code(404).send({ code: req.params.code, found: false });
    return { code: hit.code, found: true, ...hit.entry };
  });
}
