/**
 * HTTP wiring: the RPC endpoint on `/` (GET and POST), `/healthz`, `/metrics`, `/api/actions`
 * (the action declarations, for the console's forms) and the console's files at `/console/`.
 */
import http from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ACTIONS, ACTIONS_BY_NAME } from './actions/index.js';
import type { Services } from './context.js';
import { errorsRoute } from './errors-route.js';
import { Gateway } from './gateway.js';
import { consoleRoute } from './console-route.js';
import { ApiMetrics } from './metrics.js';
import { ossRoutes } from './oss-routes.js';
import { JSON_CONTENT_TYPE } from './protocol/render.js';

/** Room for 16 KB Image Builder templates in the query string, percent-encoded (×3) and more. */
export const MAX_HEADER_BYTES = 256 * 1024;

export interface ServerOptions {
  /** Extra routes (the console, buckets …) registered by other areas. */
  plugins?: Array<(app: FastifyInstance, services: Services) => Promise<void> | void>;
}

export async function buildServer(
  services: Services,
  options: ServerOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 4 * 1024 * 1024,
    serverFactory: (handler) => http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, handler),
  });
  const gateway = new Gateway(services);
  const metrics = new ApiMetrics();
  metrics.watchResponseCache(gateway.responses);

  // The ACS3 signature covers the body's bytes, so every body is kept raw.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const rpc = async (req: FastifyRequest) => {
    const started = process.hrtime.bigint();
    const result = await gateway.handle(
      {
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      },
      req.headers.host ?? 'ecsimg',
    );
    // Action names come from the caller: only declared ones become label values.
    const action = ACTIONS_BY_NAME.has(result.action) ? result.action : 'unknown';
    metrics.observe(action, result.status, result.code ?? '', started);
    return result;
  };

  app.route({
    method: ['GET', 'POST'],
    url: '/',
    handler: async (req, reply) => {
      if (isBrowserVisit(req)) return reply.redirect('/console/', 302);
      const result = await rpc(req);
      if (result.chunks) return sendChunks(reply, result.status, result.headers, result.chunks);
      return reply
        .code(result.status)
        .headers(result.headers)
        .header('content-type', JSON_CONTENT_TYPE)
        .send(JSON.stringify(result.body));
    },
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/metrics', async (_req, reply) =>
    reply
      .header('content-type', metrics.registry.contentType)
      .send(await metrics.registry.metrics()),
  );

  await ossRoutes(gateway)(app, services);

  app.get('/api/actions', async () => ({ actions: ACTIONS.map((a) => a.spec) }));
  await errorsRoute(app);

  consoleRoute()(app);

  for (const plugin of options.plugins ?? []) await plugin(app, services);
  return app;
}

/**
 * Writes a body kept in pieces (a cached answer and its RequestId) in one writev, without joining
 * them first: the answer's bytes go to the socket as they are kept. Fastify's reply lifecycle has
 * nothing to add here (no onSend hooks, logging off), so the reply is taken over.
 */
function sendChunks(
  reply: FastifyReply,
  status: number,
  headers: Record<string, string>,
  chunks: Buffer[],
): void {
  reply.hijack();
  const res = reply.raw;
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  res.cork();
  res.writeHead(status, {
    ...headers,
    'content-type': JSON_CONTENT_TYPE,
    'content-length': length,
  });
  for (let i = 0; i < chunks.length - 1; i++) res.write(chunks[i]);
  res.end(chunks[chunks.length - 1]);
  res.uncork();
}

/** A person typing the address in a browser: GET / with no action, asking for HTML. */
function isBrowserVisit(req: FastifyRequest): boolean {
  if (req.method !== 'GET' || req.url !== '/') return false;
  return (req.headers.accept ?? '').includes('text/html');
}
