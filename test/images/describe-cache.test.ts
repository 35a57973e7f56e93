/**
 * The gateway's response cache on DescribeImages (api/response-cache.ts): repeats are answered
 * from it — each with its own RequestId — and every change, made through the API, through the
 * store of this process or by another process sharing the database, is seen by the next call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCredentials } from '../../src/domain/accounts/service.js';
import { openStore } from '../../src/store/index.js';
import { BACKENDS } from '../helpers/databases.js';
import { Ecs, ecsClient, startTestServer, type TestServer } from '../helpers/server.js';
import { REGION, makeImage } from './helpers.js';

/** Hits and misses from /metrics. */
async function lookups(t: TestServer): Promise<{ hit: number; miss: number }> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const read = (result: string) =>
    Number(
      new RegExp(`^ecsimg_response_cache_lookups_total\\{result="${result}"\\} (\\d+)`, 'm').exec(
        text,
      )?.[1] ?? NaN,
    );
  return { hit: read('hit'), miss: read('miss') };
}

describe.each(BACKENDS)('DescribeImages response cache on %s', (backend) => {
  let t: TestServer;
  let other: IssuedCredentials;
  let imageId: string;

  const describeSelf = async (creds: { accessKeyId: string; accessKeySecret: string } = t.admin) =>
    (
      await ecsClient(t, creds).describeImages(
        new Ecs.DescribeImagesRequest({ regionId: REGION, imageOwnerAlias: 'self' }),
      )
    ).body as any;
  const names = (body: any): string[] => body.images.image.map((i: any) => i.imageName).sort();

  beforeAll(async () => {
    t = await startTestServer(backend);
    other = await t.server.services.accounts.createAccount('cache-other');
    imageId = (await makeImage(t, t.admin.accountId, { name: 'cached-one' })).id;
    await makeImage(t, other.accountId, { name: 'not-yours' });
  });
  afterAll(async () => t?.close());

  it('answers a repeat from the cache with a new RequestId and the same content', async () => {
    // On PostgreSQL the notification of the set-up's own commits can still be on its way (under
    // load it arrives after the first call): the clock then moves once and that repeat misses.
    // Nothing changes after that, so a later repeat must hit.
    let first = await describeSelf();
    let before = await lookups(t);
    let second = await describeSelf();
    let after = await lookups(t);
    for (let i = 0; i < 5 && after.hit === before.hit; i++) {
      await new Promise((r) => setTimeout(r, 50));
      first = second;
      before = after;
      second = await describeSelf();
      after = await lookups(t);
    }
    expect(after.hit).toBe(before.hit + 1);
    expect(second.requestId).not.toBe(first.requestId);
    expect({ ...second, requestId: '' }).toEqual({ ...first, requestId: '' });
    expect(names(second)).toEqual(['cached-one']);
  });

  it('keeps accounts apart', async () => {
    await describeSelf();
    expect(names(await describeSelf(other))).toEqual(['not-yours']);
    expect(names(await describeSelf())).toEqual(['cached-one']);
  });

  it('sees a change made through the API at once', async () => {
    await describeSelf();
    await ecsClient(t).modifyImageAttribute(
      new Ecs.ModifyImageAttributeRequest({ regionId: REGION, imageId, imageName: 'renamed-one' }),
    );
    expect(names(await describeSelf())).toEqual(['renamed-one']);
  });

  it("sees another process's change", async () => {
    await describeSelf();
    // Another store on the same database: another process as far as the server can tell.
    const outside = await openStore(t.database.url, { schema: t.database.schema });
    try {
      await outside.images.update(REGION, imageId, { name: 'changed-outside' });
    } finally {
      await outside.close();
    }
    // SQLite sees it on the next call; PostgreSQL once the commit's notification arrives.
    let seen: string[] = [];
    for (let i = 0; i < 100; i++) {
      seen = names(await describeSelf());
      if (seen[0] === 'changed-outside' || backend === 'sqlite') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toEqual(['changed-outside']);
  });

  it('is bypassed while an instance-usage probe with its own source is installed', async () => {
    const images = t.server.services.images;
    let used = new Set<string>();
    images.setInstanceUsageProbe({ imagesInUse: async () => used });
    try {
      const usage = async () =>
        (
          (
            await ecsClient(t).describeImages(
              new Ecs.DescribeImagesRequest({
                regionId: REGION,
                imageOwnerAlias: 'self',
                usage: 'instance',
              }),
            )
          ).body as any
        ).images.image.length;
      expect(await usage()).toBe(0);
      used = new Set([imageId]);
      const before = await lookups(t);
      expect(await usage()).toBe(1);
      expect((await lookups(t)).hit).toBe(before.hit);
    } finally {
      images.setInstanceUsageProbe({
        imagesInUse: async () => new Set(),
        readsStoreOnly: true,
      });
    }
  });
});

describe('DescribeImages with the response cache off', () => {
  it('never looks in it', async () => {
    const t = await startTestServer('sqlite', { ECSIMG_RESPONSE_CACHE_MB: '0' });
    try {
      for (let i = 0; i < 3; i++) {
        await ecsClient(t).describeImages(new Ecs.DescribeImagesRequest({ regionId: REGION }));
      }
      expect(await lookups(t)).toEqual({ hit: 0, miss: 0 });
    } finally {
      await t.close();
    }
  });
});
