import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/databases.js';
import { Ecs, ecsClient, startTestServer, type TestServer } from '../helpers/server.js';
import { REGION, expectCode, makeImage } from '../images/helpers.js';

describe.each(BACKENDS)('tags on images on %s', (backend) => {
  let t: TestServer;
  let owner: string;

  const tag = (key?: string, value?: string) => new Ecs.TagResourcesRequestTag({ key, value });
  const tagResources = (resourceId: string[], tags: any[], resourceType = 'image') =>
    ecsClient(t).tagResources(
      new Ecs.TagResourcesRequest({ regionId: REGION, resourceType, resourceId, tag: tags }),
    );
  const untag = (params: Record<string, unknown>) =>
    ecsClient(t).untagResources(
      new Ecs.UntagResourcesRequest({ regionId: REGION, resourceType: 'image', ...params }),
    );
  const list = (params: Record<string, unknown>) =>
    ecsClient(t).listTagResources(
      new Ecs.ListTagResourcesRequest({ regionId: REGION, resourceType: 'image', ...params }),
    );
  const rowsOf = (res: any) =>
    res.body.tagResources.tagResource.map((r: any) => `${r.resourceId}:${r.tagKey}=${r.tagValue}`);

  beforeAll(async () => {
    t = await startTestServer(backend);
    owner = t.admin.accountId;
  });
  afterAll(async () => t?.close());

  it('tags, overwrites a value, lists and untags', async () => {
    const image = await makeImage(t, owner);
    await tagResources([image.id], [tag('env', 'dev'), tag('empty', '')]);
    await tagResources([image.id], [tag('env', 'prod')]);
    const res: any = await list({ resourceId: [image.id] });
    expect(rowsOf(res)).toEqual([`${image.id}:empty=`, `${image.id}:env=prod`]);
    expect(res.body.tagResources.tagResource[0].resourceType).toBe('image');
    await untag({ resourceId: [image.id], tagKey: ['env'] });
    expect(rowsOf(await list({ resourceId: [image.id] }))).toEqual([`${image.id}:empty=`]);
    await untag({ resourceId: [image.id], all: true });
    expect(rowsOf(await list({ resourceId: [image.id] }))).toEqual([]);
  });

  it('accepts 20 tags per call and per image, refuses the 21st', async () => {
    const image = await makeImage(t, owner);
    const twenty = Array.from({ length: 20 }, (_, i) => tag(`k${i}`, `v${i}`));
    await expectCode(
      tagResources([image.id], [...twenty, tag('k20', 'v')]),
      'NumberExceed.Tags',
      400,
    );
    await tagResources([image.id], twenty);
    await tagResources([image.id], [tag('k0', 'again')]);
    await expectCode(tagResources([image.id], [tag('one-more', 'v')]), 'QuotaExceed.Tags', 403);
  });

  it('keeps the 20-tag limit when calls race: 10 calls of 3 new keys, 6 fit', async () => {
    const image = await makeImage(t, owner);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, call) =>
        tagResources(
          [image.id],
          Array.from({ length: 3 }, (_, i) => tag(`k${call}-${i}`, 'v')),
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(6);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason.code).toBe('QuotaExceed.Tags');
    }
    expect(rowsOf(await list({ resourceId: [image.id] }))).toHaveLength(18);
  });

  it('accepts 50 resource IDs per call and refuses 51', async () => {
    const image = await makeImage(t, owner);
    const fifty = Array.from({ length: 50 }, () => image.id);
    await tagResources(fifty, [tag('bulk', 'yes')]);
    await expectCode(
      tagResources([...fifty, image.id], [tag('bulk', 'yes')]),
      'NumberExceed.ResourceIds',
      400,
    );
  });

  it('checks key and value rules on both sides of each bound', async () => {
    const image = await makeImage(t, owner);
    await tagResources([image.id], [tag('k'.repeat(128), 'v'.repeat(128))]);
    await expectCode(
      tagResources([image.id], [tag('k'.repeat(129), 'v')]),
      'InvalidTagKey.Malformed',
      400,
    );
    await expectCode(
      tagResources([image.id], [tag('k', 'v'.repeat(129))]),
      'InvalidTagValue.Malformed',
      400,
    );
    await expectCode(
      tagResources([image.id], [tag('aliyun-x', 'v')]),
      'InvalidTagKey.Malformed',
      400,
    );
    await expectCode(tagResources([image.id], [tag('acs:x', 'v')]), 'InvalidTagKey.Malformed', 400);
    await expectCode(
      tagResources([image.id], [tag('a-http://x', 'v')]),
      'InvalidTagKey.Malformed',
      400,
    );
    await expectCode(
      tagResources([image.id], [tag('k', 'https://x')]),
      'InvalidTagValue.Malformed',
      400,
    );
    await expectCode(
      tagResources([image.id], [tag(undefined, 'v')]),
      'InvalidTagKey.Malformed',
      400,
    );
    await expectCode(
      tagResources([image.id], [tag('Env', 'a'), tag('env', 'b')]),
      'TagKey.Duplication',
      403,
    );
    await tagResources([image.id], [tag('标签', '值')]);
  });

  it('answers the documented codes for missing and unsupported parameters', async () => {
    const image = await makeImage(t, owner);
    await expectCode(tagResources([], [tag('k', 'v')]), 'MissingParameter.ResourceIds', 404);
    await expectCode(tagResources([image.id], []), 'MissingParameter.Tags', 404);
    await expectCode(
      tagResources([image.id], [tag('k', 'v')], 'instance'),
      'InvalidResourceType.NotFound',
      404,
    );
    await expectCode(
      tagResources(['m-missing'], [tag('k', 'v')]),
      'InvalidResourceId.NotFound',
      404,
    );
    await expectCode(
      tagResources(['ubuntu_22_04_x64_20G_alibase_20240130.vhd'], [tag('k', 'v')]),
      'InvalidResourceId.NotSupported',
      403,
    );
    await expectCode(
      untag({ resourceId: [image.id], tagKey: ['k'], all: true }),
      'Param.Conflict',
      403,
    );
    const keys = Array.from({ length: 21 }, (_, i) => `k${i}`);
    await expectCode(untag({ resourceId: [image.id], tagKey: keys }), 'NumberExceed.Tags', 400);
    await expectCode(list({}), 'BothEmpty.TagsAndResources', 403);
  });

  it('lists by Tag.N and by TagFilter.N with * patterns', async () => {
    const a = await makeImage(t, owner);
    const b = await makeImage(t, owner);
    await tagResources([a.id], [tag('stage', 'prod-eu'), tag('app', 'shop')]);
    await tagResources([b.id], [tag('stage', 'dev')]);
    const byTag = rowsOf(
      await list({ tag: [new Ecs.ListTagResourcesRequestTag({ key: 'stage', value: 'dev' })] }),
    );
    expect(byTag).toEqual([`${b.id}:stage=dev`]);
    const filter = (tagKey: string, tagValues?: string[]) =>
      new Ecs.ListTagResourcesRequestTagFilter({ tagKey, tagValues });
    const byPattern = rowsOf(await list({ tagFilter: [filter('stage', ['prod*'])] }));
    expect(byPattern.sort()).toEqual([`${a.id}:app=shop`, `${a.id}:stage=prod-eu`].sort());
    const anyValue = rowsOf(await list({ tagFilter: [filter('stage')] }));
    expect(anyValue).toHaveLength(3);
    await expectCode(
      list({ tag: [new Ecs.ListTagResourcesRequestTag({ value: 'x' })] }),
      'InvalidParameter.TagValue',
      400,
    );
    await expectCode(
      list({ tagFilter: [filter('stage', ['a', 'b', 'c', 'd', 'e', 'f'])] }),
      'NumberExceed.TagValues',
      403,
    );
  });

  it('pages ListTagResources with NextToken and refuses a forged token', async () => {
    const images = [];
    for (let i = 0; i < 3; i++) images.push((await makeImage(t, owner)).id);
    const tags = Array.from({ length: 20 }, (_, i) => tag(`p${String(i).padStart(2, '0')}`, 'v'));
    await tagResources(images, tags);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res: any = await list({ resourceId: images, nextToken: token });
      seen.push(...rowsOf(res));
      token = res.body.nextToken || undefined;
      pages++;
    } while (token);
    expect(pages).toBe(2);
    expect(seen).toHaveLength(60);
    expect(new Set(seen).size).toBe(60);
    await expectCode(
      list({ resourceId: images, nextToken: 'not-a-token' }),
      'Invalid.NextToken',
      403,
    );
  });
});
