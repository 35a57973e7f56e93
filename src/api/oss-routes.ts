/**
 * Object bodies over HTTP, beside the RPC endpoint (ecsimg-specific; OSS's own REST API is not
 * emulated):
 *
 *   PUT    /oss/<bucket>/<key>   upload (the body streams to the store; visible once complete)
 *   GET    /oss/<bucket>/<key>   download, `Range: bytes=a-b` answered with 206
 *   HEAD   /oss/<bucket>/<key>   size, ETag, Last-Modified
 *   DELETE /oss/<bucket>/<key>
 *
 * Authentication is the gateway's (Bearer API key, ACS3-HMAC-SHA256 over method, path, query and
 * headers). A streamed upload cannot be hashed before it is read, so ACS3 signs the declared
 * `x-acs-content-sha256`: a hex digest is checked against the bytes before the object is
 * committed (BadDigest otherwise), `UNSIGNED-PAYLOAD` skips that check, as on S3.
 *
 * Errors use the ECS JSON envelope with OSS-style codes (NoSuchBucket, NoSuchKey, AccessDenied…).
 * TODO(oss-multipart): uploads are one streamed PUT (any size, constant memory); there is no
 * resumable multipart protocol yet, so an interrupted upload starts again from the beginning.
 */
import crypto from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAllowed } from '../domain/accounts/policy.js';
import type { Principal } from '../domain/accounts/service.js';
import { EcsError, isEcsError } from '../domain/errors/index.js';
import type { Services } from './context.js';
import type { Gateway } from './gateway.js';
import { collectParams, type RawRequest } from './protocol/params.js';
import { JSON_CONTENT_TYPE, errorBody, newRequestId } from './protocol/render.js';

interface Target {
  bucket: string;
  key: string;
}

/** `/oss/<bucket>/<key>` from the raw URL (the key keeps its slashes; %-escapes decoded). */
function parseTarget(url: string): Target {
  const pathOnly = url.split('?')[0];
  const m = /^\/oss\/([^/]+)\/(.+)$/.exec(pathOnly);
  if (!m) throw new EcsError('InvalidObjectName', { reason: 'the path is /oss/<bucket>/<key>' });
  try {
    return { bucket: decodeURIComponent(m[1]), key: decodeURIComponent(m[2]) };
  } catch {
    throw new EcsError('InvalidObjectName', { reason: 'the path is not valid percent-encoding' });
  }
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` (one range only). */
function parseRange(value: string | undefined, size: number) {
  if (!value) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  // A syntactically invalid or multi-range header is ignored (the whole object), as HTTP allows.
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) throw new EcsError('InvalidRange', { size });
  return { start, end };
}

/** Passes bytes through, and fails at the end when their SHA-256 is not `expected`. */
function digestCheck(expected: string): Transform {
  const hash = crypto.createHash('sha256');
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      cb(hash.digest('hex') === expected ? null : new EcsError('BadDigest'));
    },
  });
}

export function ossRoutes(gateway: Gateway) {
  return async (app: FastifyInstance, services: Services): Promise<void> => {
    const log = services.log.child({ component: 'oss' });

    await app.register(async (scope) => {
      // Bodies stay unread streams here: uploads go to the store as they arrive.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

      // Every route here signs the declared body digest (UNSIGNED-PAYLOAD for GET and DELETE too).
      const authenticate = async (req: FastifyRequest, streamedBody: boolean) => {
        const raw: RawRequest = {
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.alloc(0),
        };
        const { principal } = await gateway.authenticate(raw, collectParams(raw), {
          streamedBody,
        });
        return principal;
      };

      const authorize = (principal: Principal, op: string, t: Target) => {
        const ram = principal.ramUser;
        const resource = `acs:oss:*:${principal.accountId}:${t.bucket}/${t.key}`;
        if (ram && !isAllowed(ram.policies, `oss:${op}`, resource)) {
          throw new EcsError('Forbidden.RAM', { action: `oss:${op}`, resource });
        }
      };

      const fail = (reply: FastifyReply, req: FastifyRequest, err: unknown, requestId: string) => {
        const known = isEcsError(err) ? err : new EcsError('InternalError');
        if (!isEcsError(err)) log.error({ err, requestId }, '[oss] unexpected failure');
        else if (known.status < 500)
          log.warn({ requestId, code: known.code }, `[oss] ${known.code}`);
        return reply
          .code(known.status)
          .header('content-type', JSON_CONTENT_TYPE)
          .header('x-acs-request-id', requestId)
          .send(JSON.stringify(errorBody(known, requestId, req.headers.host ?? 'ecsimg')));
      };

      scope.put('/oss/*', async (req, reply) => {
        const requestId = newRequestId();
        const body = (req.body as Readable | undefined) ?? req.raw;
        try {
          const principal = await authenticate(req, true);
          const target = parseTarget(req.url);
          authorize(principal, 'PutObject', target);

          const declared = req.headers['x-acs-content-sha256'];
          const source =
            typeof declared === 'string' && /^[0-9a-f]{64}$/.test(declared)
              ? body.pipe(digestCheck(declared))
              : body;
          body.on('error', (err) => source.destroy(err));
          // A small body ends, and fails its check, while putObject still awaits the database:
          // the error is kept on the destroyed stream for its reader, and must not go unhandled
          // meanwhile (an uncaught exception).
          source.on('error', () => undefined);
          const info = await services.buckets.putObject(
            principal.accountId,
            target.bucket,
            target.key,
            source,
          );
          return reply
            .header('etag', info.etag)
            .header('x-acs-request-id', requestId)
            .header('content-type', JSON_CONTENT_TYPE)
            .send(
              JSON.stringify({
                RequestId: requestId,
                Key: info.key,
                Size: info.size,
                ETag: info.etag,
              }),
            );
        } catch (err) {
          // Drain what the client still sends, so it reads our answer instead of a reset.
          body.resume();
          return fail(reply, req, err, requestId);
        }
      });

      const download = async (req: FastifyRequest, reply: FastifyReply, headOnly: boolean) => {
        const requestId = newRequestId();
        try {
          const principal = await authenticate(req, true);
          const target = parseTarget(req.url);
          authorize(principal, 'GetObject', target);

          const info = await services.buckets.headObject(
            principal.accountId,
            target.bucket,
            target.key,
          );
          const rangeHeader = req.headers.range;
          const range = parseRange(
            typeof rangeHeader === 'string' ? rangeHeader : undefined,
            info.size,
          );
          reply
            .header('etag', info.etag)
            .header('last-modified', new Date(info.lastModifiedMs).toUTCString())
            .header('accept-ranges', 'bytes')
            .header('content-type', 'application/octet-stream')
            .header('x-acs-request-id', requestId);
          if (range) {
            reply
              .code(206)
              .header('content-range', `bytes ${range.start}-${range.end}/${info.size}`)
              .header('content-length', range.end - range.start + 1);
          } else {
            reply.header('content-length', info.size);
          }
          if (headOnly) return reply.send();

          const { body } = await services.buckets.getObject(
            principal.accountId,
            target.bucket,
            target.key,
            range,
          );
          return reply.send(body);
        } catch (err) {
          return fail(reply, req, err, requestId);
        }
      };

      // Fastify answers HEAD with the GET route (exposeHeadRoutes); it then sends no body.
      scope.get('/oss/*', (req, reply) => download(req, reply, req.method === 'HEAD'));

      scope.delete('/oss/*', async (req, reply) => {
        const requestId = newRequestId();
        try {
          const principal = await authenticate(req, true);
          const target = parseTarget(req.url);
          authorize(principal, 'DeleteObject', target);
          await services.buckets.deleteObject(principal.accountId, target.bucket, target.key);
          return reply.code(204).header('x-acs-request-id', requestId).send();
        } catch (err) {
          return fail(reply, req, err, requestId);
        }
      });
    });
  };
}
