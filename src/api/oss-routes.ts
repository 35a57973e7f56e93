/**
 * Object bodies over HTTP, beside the RPC endpoint (ecsimg-specific; OSS's own REST API is not
 * emulated):
 *
 *   PUT    /oss/<bucket>/<key>   upload (the body streams to the store; visible once complete)
 *   GET    /oss/<bucket>/<key>   download, `Range: bytes=a-b` answered with 206
 *   HEAD   /oss/<bucket>/<key>   size, ETag, Last-Modified
 *   DELETE /oss/<bucket>/<key>
 *
 * Multipart uploads, with OSS's query parameters (rules in blobs/buckets/multipart.ts):
 *
 *   POST   …?uploads[&partSize=N]         initiate → {UploadId, PartSize}
 *   PUT    …?partNumber=N&uploadId=ID     one part (Content-Length required) → {ETag, Size}
 *   GET    …?uploadId=ID[&max-parts=M][&part-number-marker=N]   the parts stored so far
 *   POST   …?uploadId=ID                  complete; body {"Parts":[{"PartNumber":1,"ETag":"…"}]}
 *   DELETE …?uploadId=ID                  abort (204)
 *
 * Where we differ from OSS: bodies are JSON, not XML; the part size is chosen at initiation
 * (`partSize`, default 8 MiB, at least 100 KiB, 5 MiB on S3, at most 5 GiB) and every part but
 * the last is exactly that long; a completion lists parts 1…K without gaps. RAM actions are
 * OSS's: oss:PutObject for initiate, parts and complete, oss:ListParts, oss:AbortMultipartUpload.
 *
 * Authentication is the gateway's (Bearer API key, ACS3-HMAC-SHA256 over method, path, query and
 * headers). A streamed upload cannot be hashed before it is read, so ACS3 signs the declared
 * `x-acs-content-sha256`: a hex digest is checked against the bytes before the object (or the
 * part, or the completion) is committed (BadDigest otherwise), `UNSIGNED-PAYLOAD` skips that
 * check, as on S3.
 *
 * Errors use the ECS JSON envelope with OSS-style codes (NoSuchBucket, NoSuchKey, AccessDenied,
 * NoSuchUpload, InvalidPart…).
 */
import crypto from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_PART_NUMBER, type CompletedPart, type PartInfo } from '../blobs/index.js';
import { isAllowed } from '../domain/accounts/policy.js';
import type { Principal } from '../domain/accounts/service.js';
import { EcsError, isEcsError } from '../domain/errors/index.js';
import { isoSeconds } from '../domain/time.js';
import type { Services } from './context.js';
import type { Gateway } from './gateway.js';
import { collectParams, type RawRequest } from './protocol/params.js';
import { JSON_CONTENT_TYPE, errorBody, newRequestId } from './protocol/render.js';

/** A completion body of 10000 parts is about 700 KB. */
const MAX_COMPLETION_BODY_BYTES = 2 * 1024 * 1024;
const MAX_LISTED_PARTS = 1000;

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

/** The query's parameters (a name without `=` has the value ''). */
function queryOf(url: string): URLSearchParams {
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}

/** A whole number within [min, max], or InvalidArgument naming the parameter. */
function wholeNumber(value: string | null, name: string, min: number, max: number): number {
  const n = value !== null && /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) {
    throw new EcsError('InvalidArgument', { reason: `${name} is a whole number ${min}-${max}` });
  }
  return n;
}

/** The body as it streams, checked against a hex `x-acs-content-sha256` when one is declared. */
function checkedBody(req: FastifyRequest, body: Readable): Readable {
  const declared = req.headers['x-acs-content-sha256'];
  if (typeof declared !== 'string' || !/^[0-9a-f]{64}$/.test(declared)) return body;
  const checked = body.pipe(digestCheck(declared));
  body.on('error', (err) => checked.destroy(err));
  // A small body ends, and fails its check, while the route still awaits the database: the
  // error is kept on the destroyed stream for its reader, and must not go unhandled meanwhile.
  checked.on('error', () => undefined);
  return checked;
}

/** Reads a small body whole (a completion list); InvalidArgument past `limit` bytes. */
async function readSmallBody(body: Readable, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      throw new EcsError('InvalidArgument', { reason: `the body is over ${limit} bytes` });
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

/** `{"Parts":[{"PartNumber":1,"ETag":"\"…\""}, …]}` as a completion list. */
function parseCompletion(text: string): CompletedPart[] {
  const malformed = () =>
    new EcsError('InvalidArgument', {
      reason: 'the body is {"Parts":[{"PartNumber":N,"ETag":"…"},…]}',
    });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw malformed();
  }
  const parts = (json as { Parts?: unknown } | null)?.Parts;
  if (!Array.isArray(parts)) throw malformed();
  return parts.map((p: { PartNumber?: unknown; ETag?: unknown }) => {
    if (!Number.isInteger(p?.PartNumber) || typeof p?.ETag !== 'string') throw malformed();
    return { partNumber: p.PartNumber as number, etag: p.ETag };
  });
}

function renderPart(p: PartInfo) {
  return {
    PartNumber: p.partNumber,
    Size: p.size,
    ETag: p.etag,
    LastModified: isoSeconds(p.lastModifiedMs),
  };
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

      const ok = (reply: FastifyReply, requestId: string, body: Record<string, unknown>) =>
        reply
          .header('x-acs-request-id', requestId)
          .header('content-type', JSON_CONTENT_TYPE)
          .send(JSON.stringify({ RequestId: requestId, ...body }));

      scope.put('/oss/*', async (req, reply) => {
        const requestId = newRequestId();
        const body = (req.body as Readable | undefined) ?? req.raw;
        try {
          const principal = await authenticate(req, true);
          const target = parseTarget(req.url);
          authorize(principal, 'PutObject', target);

          const query = queryOf(req.url);
          if (query.has('uploadId') || query.has('partNumber')) {
            const part = await uploadPart(req, principal, target, query, body);
            reply.header('etag', part.etag);
            return ok(reply, requestId, {
              PartNumber: part.partNumber,
              ETag: part.etag,
              Size: part.size,
            });
          }

          const info = await services.buckets.putObject(
            principal.accountId,
            target.bucket,
            target.key,
            checkedBody(req, body),
          );
          reply.header('etag', info.etag);
          return ok(reply, requestId, { Key: info.key, Size: info.size, ETag: info.etag });
        } catch (err) {
          // Drain what the client still sends, so it reads our answer instead of a reset.
          body.resume();
          return fail(reply, req, err, requestId);
        }
      });

      const uploadPart = async (
        req: FastifyRequest,
        principal: Principal,
        target: Target,
        query: URLSearchParams,
        body: Readable,
      ): Promise<PartInfo> => {
        const uploadId = query.get('uploadId');
        if (!uploadId) {
          throw new EcsError('InvalidArgument', { reason: 'a part needs uploadId and partNumber' });
        }
        const partNumber = wholeNumber(query.get('partNumber'), 'partNumber', 1, MAX_PART_NUMBER);
        // Chunked bodies have no length: the store must know it before the first byte.
        const length = req.headers['content-length'];
        if (length === undefined || !/^\d+$/.test(length))
          throw new EcsError('MissingContentLength');
        return services.buckets.uploadPart(
          principal.accountId,
          { ...target, uploadId },
          partNumber,
          checkedBody(req, body),
          Number(length),
        );
      };

      scope.post('/oss/*', async (req, reply) => {
        const requestId = newRequestId();
        const body = (req.body as Readable | undefined) ?? req.raw;
        try {
          const principal = await authenticate(req, true);
          const target = parseTarget(req.url);
          authorize(principal, 'PutObject', target);
          const query = queryOf(req.url);

          if (query.has('uploads')) {
            const partSize = query.get('partSize');
            const upload = await services.buckets.initiateMultipartUpload(
              principal.accountId,
              target.bucket,
              target.key,
              partSize === null || partSize === ''
                ? undefined
                : wholeNumber(partSize, 'partSize', 1, Number.MAX_SAFE_INTEGER),
            );
            body.resume();
            return ok(reply, requestId, {
              Bucket: upload.bucket,
              Key: upload.key,
              UploadId: upload.uploadId,
              PartSize: upload.partSizeBytes,
            });
          }

          const uploadId = query.get('uploadId');
          if (!uploadId) {
            throw new EcsError('InvalidArgument', {
              reason: 'POST on an object takes ?uploads (initiate) or ?uploadId=ID (complete)',
            });
          }
          const text = await readSmallBody(checkedBody(req, body), MAX_COMPLETION_BODY_BYTES);
          const info = await services.buckets.completeMultipartUpload(
            principal.accountId,
            { ...target, uploadId },
            parseCompletion(text.toString('utf8')),
          );
          reply.header('etag', info.etag);
          return ok(reply, requestId, {
            Bucket: target.bucket,
            Key: info.key,
            ETag: info.etag,
            Size: info.size,
          });
        } catch (err) {
          body.resume();
          return fail(reply, req, err, requestId);
        }
      });

      const listParts = async (
        req: FastifyRequest,
        reply: FastifyReply,
        requestId: string,
        uploadId: string,
      ) => {
        const principal = await authenticate(req, true);
        const target = parseTarget(req.url);
        authorize(principal, 'ListParts', target);
        const query = queryOf(req.url);
        const maxParts = query.has('max-parts')
          ? wholeNumber(query.get('max-parts'), 'max-parts', 1, MAX_LISTED_PARTS)
          : MAX_LISTED_PARTS;
        const marker = query.has('part-number-marker')
          ? wholeNumber(query.get('part-number-marker'), 'part-number-marker', 0, MAX_PART_NUMBER)
          : 0;

        const { upload, parts } = await services.buckets.listParts(principal.accountId, {
          ...target,
          uploadId,
        });
        const after = parts.filter((p) => p.partNumber > marker);
        const page = after.slice(0, maxParts);
        return ok(reply, requestId, {
          Bucket: upload.bucket,
          Key: upload.key,
          UploadId: upload.uploadId,
          PartSize: upload.partSizeBytes,
          PartNumberMarker: marker,
          NextPartNumberMarker: page.at(-1)?.partNumber ?? marker,
          MaxParts: maxParts,
          IsTruncated: after.length > page.length,
          Parts: { Part: page.map(renderPart) },
        });
      };

      const download = async (req: FastifyRequest, reply: FastifyReply, headOnly: boolean) => {
        const requestId = newRequestId();
        try {
          const uploadId = queryOf(req.url).get('uploadId');
          if (uploadId !== null) return await listParts(req, reply, requestId, uploadId);

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
          const uploadId = queryOf(req.url).get('uploadId');
          if (uploadId !== null) {
            authorize(principal, 'AbortMultipartUpload', target);
            await services.buckets.abortMultipartUpload(principal.accountId, {
              ...target,
              uploadId,
            });
          } else {
            authorize(principal, 'DeleteObject', target);
            await services.buckets.deleteObject(principal.accountId, target.bucket, target.key);
          }
          return reply.code(204).header('x-acs-request-id', requestId).send();
        } catch (err) {
          return fail(reply, req, err, requestId);
        }
      });
    });
  };
}
