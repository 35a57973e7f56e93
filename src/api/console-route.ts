/**
 * Serves the web console's built files (console/dist) at `/console/`.
 *
 * Files are served from that one folder only: the requested path is decoded, resolved and checked
 * to stay inside it (symlinks included) before anything is opened. Hashed assets are cached for a
 * year; index.html never, so a new build is picked up at once. The console routes with the URL's
 * hash, but any other path without a file extension still answers index.html so that a
 * bookmarked or mistyped URL opens the console rather than a bare 404. When the console was not
 * built, every page says so and how to fix it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** console/dist beside src/ or dist/ (both sit two levels below the package root). */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../console/dist', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ecsimg console not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>The ecsimg console has not been built</h1>
<p>This server found no <code>console/dist/index.html</code>. Build the console, then reload:</p>
<pre style="background:#f4f4f4;padding:12px">npm run build</pre>
<p>The API itself works without the console: point the Alibaba Cloud SDK or the
<code>ecsimg</code> CLI at this address.</p>
<p lang="zh-CN">控制台尚未构建。请运行 <code>npm run build</code> 后刷新本页。</p>
</body></html>`;

export interface ConsoleRouteOptions {
  /** Folder holding the built console (default: console/dist of this package). */
  root?: string;
}

/** Resolves a URL path below `root`, or undefined when it would leave it. */
export function resolveInside(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const target = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`);
  return target === root || target.startsWith(root + path.sep) ? target : undefined;
}

function statFile(file: string): fs.Stats | undefined {
  try {
    const stats = fs.statSync(file);
    return stats.isFile() ? stats : undefined;
  } catch {
    return undefined;
  }
}

export function consoleRoute(options: ConsoleRouteOptions = {}) {
  return (app: FastifyInstance) => {
    const root = path.resolve(options.root ?? DEFAULT_CONSOLE_DIR);

    const sendFile = (reply: FastifyReply, file: string, size: number, cache: string) =>
      reply
        .header('content-type', CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream')
        .header('content-length', size)
        .header('cache-control', cache)
        .header('x-content-type-options', 'nosniff')
        .send(fs.createReadStream(file));

    const sendIndex = (reply: FastifyReply) => {
      const index = path.join(root, 'index.html');
      const stats = statFile(index);
      if (!stats) {
        return reply
          .code(503)
          .header('content-type', 'text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          .send(NOT_BUILT_PAGE);
      }
      return sendFile(reply, index, stats.size, 'no-cache');
    };

    app.get('/console', (_req, reply) => reply.redirect('/console/', 301));

    app.get<{ Params: { '*': string } }>('/console/*', (req, reply) => {
      const rest = req.params['*'] ?? '';
      if (rest === '' || rest === 'index.html') return sendIndex(reply);

      const target = resolveInside(root, rest);
      if (!target) return reply.code(404).send({ error: 'not found' });

      const stats = statFile(target);
      // realpath: a symlink inside the folder must not lead outside it.
      const real = stats && fs.realpathSync(target);
      const realRoot = stats && fs.realpathSync(root);
      if (stats && real && realRoot && real.startsWith(realRoot + path.sep)) {
        const hashed = rest.startsWith('assets/');
        return sendFile(
          reply,
          target,
          stats.size,
          hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      }

      // A missing asset is a 404; anything else is a client route and gets the app.
      if (path.extname(rest)) return reply.code(404).send({ error: 'not found' });
      return sendIndex(reply);
    });
  };
}
