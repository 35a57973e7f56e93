/**
 * Buckets and service roles, as the console uses them: the ecsimg-specific RPC actions for
 * listing and managing buckets and objects, and the streaming `/oss/<bucket>/<key>` routes for
 * object bytes (authenticated like every RPC call).
 *
 * One module so the pages do not care how the server names these actions.
 */
import { acceptLanguage, ApiError, authHeaders, callAction } from './client.js';
import { getSession } from './session.js';

/** The actions this module calls; pages check them against `/api/actions` before offering. */
export const OSS_ACTIONS = {
  listBuckets: 'ListBuckets',
  createBucket: 'PutBucket',
  deleteBucket: 'DeleteBucket',
  listObjects: 'ListObjects',
  deleteObject: 'DeleteObject',
} as const;

export const ROLE_ACTIONS = {
  list: 'DescribeServiceRoles',
  authorize: 'AuthorizeServiceRole',
} as const;

export const IMPORT_ROLE = 'AliyunECSImageImportDefaultRole';
export const EXPORT_ROLE = 'AliyunECSImageExportDefaultRole';

export interface Bucket {
  Name: string;
  RegionId?: string;
  CreationDate?: string;
}

export interface OssObject {
  Key: string;
  Size: number;
  LastModified?: string;
}

export async function listBuckets(regionId: string): Promise<Bucket[]> {
  const body = await callAction<{ Buckets?: { Bucket?: Bucket[] } }>(OSS_ACTIONS.listBuckets, {
    RegionId: regionId,
  });
  return body.Buckets?.Bucket ?? [];
}

export async function createBucket(regionId: string, name: string): Promise<void> {
  await callAction(OSS_ACTIONS.createBucket, { RegionId: regionId, BucketName: name });
}

/** Bucket names are unique per account: the bucket and object actions take no region. */
export async function deleteBucket(name: string): Promise<void> {
  await callAction(OSS_ACTIONS.deleteBucket, { BucketName: name });
}

export async function listObjects(bucket: string, prefix?: string): Promise<OssObject[]> {
  const body = await callAction<{ Objects?: { Object?: OssObject[] } }>(OSS_ACTIONS.listObjects, {
    BucketName: bucket,
    Prefix: prefix,
    MaxKeys: 1000,
  });
  return body.Objects?.Object ?? [];
}

export async function deleteObject(bucket: string, key: string): Promise<void> {
  await callAction(OSS_ACTIONS.deleteObject, { BucketName: bucket, Key: key });
}

export function objectPath(bucket: string, key: string): string {
  return `/oss/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

async function objectHeaders(method: string, path: string): Promise<Record<string, string>> {
  const credentials = getSession()?.credentials;
  if (!credentials)
    throw new ApiError({
      code: 'NotSignedIn',
      message: 'Sign in first.',
      status: 401,
      action: method,
    });
  // The body of an upload is streamed, not hashed first: ACS3 signs UNSIGNED-PAYLOAD for it.
  const payloadHash = method === 'PUT' ? 'UNSIGNED-PAYLOAD' : undefined;
  const headers = await authHeaders(credentials, { method, path, query: [], payloadHash });
  return { ...headers, 'x-acs-accept-language': acceptLanguage() };
}

function errorFromXhr(xhr: XMLHttpRequest, action: string): ApiError {
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(xhr.responseText) as Record<string, unknown>;
  } catch {
    // Not the ECS envelope: fall back to the HTTP status below.
  }
  return new ApiError({
    code:
      typeof body.Code === 'string'
        ? body.Code
        : xhr.status === 0
          ? 'NetworkError'
          : `HTTP${xhr.status}`,
    message: typeof body.Message === 'string' ? body.Message : xhr.statusText,
    status: xhr.status,
    requestId: typeof body.RequestId === 'string' ? body.RequestId : undefined,
    action,
  });
}

/**
 * Uploads a file into a bucket with progress (XMLHttpRequest: fetch has no upload progress).
 * Returns a handle to abort.
 */
export function uploadObject(
  bucket: string,
  key: string,
  file: Blob,
  onProgress: (loaded: number, total: number) => void,
): { done: Promise<void>; abort(): void } {
  const xhr = new XMLHttpRequest();
  const path = objectPath(bucket, key);
  const done = objectHeaders('PUT', path).then(
    (headers) =>
      new Promise<void>((resolve, reject) => {
        xhr.open('PUT', path);
        for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
        xhr.setRequestHeader('content-type', 'application/octet-stream');
        xhr.upload.onprogress = (e) =>
          onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
        xhr.onload = () => (xhr.status < 300 ? resolve() : reject(errorFromXhr(xhr, 'PutObject')));
        xhr.onerror = () => reject(errorFromXhr(xhr, 'PutObject'));
        xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
        xhr.send(file);
      }),
  );
  return { done, abort: () => xhr.abort() };
}

/** Reads the first `length` bytes of an object (format detection of files already in a bucket). */
export async function readObjectHead(
  bucket: string,
  key: string,
  length: number,
): Promise<Uint8Array> {
  const path = objectPath(bucket, key);
  const res = await fetch(path, {
    headers: { ...(await objectHeaders('GET', path)), range: `bytes=0-${length - 1}` },
  });
  if (!res.ok)
    throw new ApiError({
      code: `HTTP${res.status}`,
      message: res.statusText,
      status: res.status,
      action: 'GetObject',
    });
  return new Uint8Array(await res.arrayBuffer()).slice(0, length);
}

/** Downloads an object to the user's disk (the browser cannot add our headers to a plain link). */
export async function downloadObject(
  bucket: string,
  key: string,
  onProgress: (loaded: number, total: number) => void,
): Promise<void> {
  const path = objectPath(bucket, key);
  const res = await fetch(path, { headers: await objectHeaders('GET', path) });
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    throw new ApiError({
      code: typeof body.Code === 'string' ? body.Code : `HTTP${res.status}`,
      message: typeof body.Message === 'string' ? body.Message : res.statusText,
      status: res.status,
      requestId: typeof body.RequestId === 'string' ? body.RequestId : undefined,
      action: 'GetObject',
    });
  }
  const total = Number(res.headers.get('content-length') ?? 0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    onProgress(loaded, total);
  }
  // TODO(large-downloads): the object is assembled in memory before it is saved; multi-GiB
  // exports would want a service worker or the File System Access API to stream to disk.
  const url = URL.createObjectURL(new Blob(parts as BlobPart[]));
  const a = document.createElement('a');
  a.href = url;
  a.download = key.split('/').pop() || key;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface ServiceRole {
  RoleName: string;
  Authorized: boolean;
}

export async function listRoles(): Promise<ServiceRole[]> {
  const body = await callAction<{ ServiceRoles?: { ServiceRole?: ServiceRole[] } }>(
    ROLE_ACTIONS.list,
    {},
  );
  return body.ServiceRoles?.ServiceRole ?? [];
}

export async function authorizeRole(roleName: string): Promise<void> {
  await callAction(ROLE_ACTIONS.authorize, { RoleName: roleName });
}
