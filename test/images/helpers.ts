/**
 * Custom images for tests, made through the domain service (as ImportImage will make them) until
 * the create actions land; and a helper to assert the cloud's error code through the SDK.
 */
import { expect } from 'vitest';
import type { NewImage } from '../../src/domain/images/index.js';
import type { TestServer } from '../helpers/server.js';

export const REGION = 'cn-hangzhou';

let counter = 0;

/** A custom image, Available unless `status` says otherwise, with a system disk of `sizeGib`. */
export async function makeImage(
  t: TestServer,
  accountId: string,
  options: Partial<NewImage> & {
    available?: boolean;
    sizeGib?: number;
  } = {},
) {
  const images = t.server.services.images;
  const { available = true, sizeGib = 20, ...rest } = options;
  const image = await images.createImage({
    accountId,
    regionId: REGION,
    name: `img-${Date.now().toString(36)}-${counter++}`,
    origin: 'import',
    mappings: [{ type: 'system', device: '/dev/xvda', format: 'qcow2' }],
    ...rest,
  });
  if (available) {
    await images.markAvailable(rest.regionId ?? REGION, image.id, {
      sizeGib,
      mappings: [
        {
          type: 'system',
          device: '/dev/xvda',
          sizeGib,
          format: 'qcow2',
          importOssBucket: 'bucket',
          importOssObject: 'disk.qcow2',
          snapshotId: `s-test${counter}`,
        },
      ],
    });
  }
  return image;
}

/** Awaits a call that must fail and checks the code (and status) the SDK surfaces. */
export async function expectCode(call: Promise<unknown>, code: string, status?: number) {
  let caught: any;
  try {
    await call;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code}`).toBeDefined();
  expect(caught.code).toBe(code);
  if (status !== undefined) expect(caught.statusCode).toBe(status);
  return caught;
}
