import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_IMAGES } from '../../src/domain/images/index.js';
import type { IssuedCredentials } from '../../src/domain/accounts/service.js';
import { BACKENDS } from '../helpers/databases.js';
import { Ecs, bearerCall, ecsClient, startTestServer, type TestServer } from '../helpers/server.js';
import { REGION, expectCode, makeImage } from './helpers.js';

describe.each(BACKENDS)('DescribeImages on %s', (backend) => {
  let t: TestServer;
  let owner: string;
  let other: IssuedCredentials;
  const ids: Record<string, string> = {};

  const describeAs = (params: Record<string, unknown>, creds = t.admin) =>
    ecsClient(t, creds).describeImages(
      new Ecs.DescribeImagesRequest({ regionId: REGION, ...params }),
    );
  const idsOf = (res: any): string[] => res.body.images.image.map((i: any) => i.imageId);

  beforeAll(async () => {
    t = await startTestServer(backend);
    owner = t.admin.accountId;
    other = await t.server.services.accounts.createAccount('other');

    ids.web = (await makeImage(t, owner, { name: 'Web-Server_100', family: 'web' })).id;
    ids.arm = (await makeImage(t, owner, { name: 'arm-builder', architecture: 'arm64' })).id;
    ids.win = (await makeImage(t, owner, { name: 'win-base', osType: 'windows' })).id;
    ids.creating = (await makeImage(t, owner, { name: 'still-importing', available: false })).id;
    ids.foreign = (await makeImage(t, other.accountId, { name: 'foreign-private' })).id;
    ids.sharedIn = (await makeImage(t, other.accountId, { name: 'foreign-shared' })).id;
    ids.community = (await makeImage(t, other.accountId, { name: 'foreign-community' })).id;

    const store = t.server.services.store;
    await store.images.insertShare({
      region_id: REGION,
      image_id: ids.sharedIn,
      account_id: owner,
      shared_at: Date.now(),
    });
    await store.images.update(REGION, ids.community, { is_public: 1 });
    await t.server.services.tags.tagResources(
      { accountId: owner, regionId: REGION, resourceType: 'image', resourceIds: [ids.web] },
      [
        { key: 'env', value: 'prod' },
        { key: 'team', value: 'web' },
      ],
    );
  });
  afterAll(async () => t?.close());

  it('lists the seeded system images of the region with their OS fields and families', async () => {
    const res: any = await describeAs({ imageOwnerAlias: 'system', pageSize: 100 });
    expect(res.body.totalCount).toBe(SYSTEM_IMAGES.length);
    const ubuntu = res.body.images.image.find(
      (i: any) => i.imageId === 'ubuntu_22_04_x64_20G_alibase_20240130.vhd',
    );
    expect(ubuntu).toMatchObject({
      imageOwnerAlias: 'system',
      OSType: 'linux',
      platform: 'Ubuntu',
      architecture: 'x86_64',
      imageFamily: 'acs:ubuntu_22_04_x64',
      status: 'Available',
      progress: '100%',
      size: 20,
      isPublic: true,
      creationTime: '2024-01-30T02:31:47Z',
    });
    expect(ubuntu.diskDeviceMappings.diskDeviceMapping[0]).toMatchObject({
      device: '/dev/xvda',
      type: 'system',
      size: '20',
    });
    expect(ubuntu.diskDeviceMappings.diskDeviceMapping[0].snapshotId).toMatch(/^s-[a-z0-9]{20}$/);
  });

  it('seeds idempotently: a second run adds nothing', async () => {
    expect(await t.server.services.images.seedSystemImages([REGION])).toBe(0);
  });

  it('shows own images under self with every documented field', async () => {
    const res: any = await describeAs({ imageOwnerAlias: 'self', imageId: ids.web });
    const img = res.body.images.image[0];
    expect(img).toMatchObject({
      imageId: ids.web,
      imageName: 'Web-Server_100',
      imageOwnerAlias: 'self',
      imageOwnerId: Number(owner),
      imageFamily: 'web',
      isSelfShared: 'false',
      isCopied: false,
      usage: 'none',
      usable: true,
      size: 20,
      features: { imdsSupport: 'v1', nvmeSupport: 'unsupported' },
    });
    expect(img.creationTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(img.diskDeviceMappings.diskDeviceMapping[0]).toMatchObject({
      format: 'qcow2',
      importOSSBucket: 'bucket',
      importOSSObject: 'disk.qcow2',
      encrypted: false,
      progress: '100%',
    });
    expect(img.tags.tag).toEqual([
      { tagKey: 'env', tagValue: 'prod' },
      { tagKey: 'team', tagValue: 'web' },
    ]);
  });

  it('lists system + self + shared-with-me by default, never private foreign or community', async () => {
    const all = idsOf(await describeAs({ pageSize: 100 }));
    expect(all).toEqual(expect.arrayContaining([ids.web, ids.arm, ids.win, ids.sharedIn]));
    expect(all).not.toContain(ids.foreign);
    expect(all).not.toContain(ids.community);
    expect(all).not.toContain(ids.creating);
    expect(all.length).toBe(SYSTEM_IMAGES.length + 4);
  });

  it('lists shared images under others, community images with IsPublic=true', async () => {
    expect(idsOf(await describeAs({ imageOwnerAlias: 'others' }))).toEqual([ids.sharedIn]);
    expect(idsOf(await describeAs({ imageOwnerAlias: 'others', isPublic: true }))).toEqual([
      ids.community,
    ]);
    const shared: any = await describeAs({ imageOwnerAlias: 'others' });
    expect(shared.body.images.image[0].imageOwnerAlias).toBe('others');
    expect(shared.body.images.image[0].imageOwnerId).toBe(Number(other.accountId));
  });

  it('marks an own image IsSelfShared once it is shared', async () => {
    const res: any = await describeAs({ imageOwnerAlias: 'self', imageId: ids.sharedIn }, other);
    expect(res.body.images.image[0].isSelfShared).toBe('true');
  });

  it('filters by ImageOwnerId only together with others', async () => {
    const byOwner = await describeAs({
      imageOwnerAlias: 'others',
      imageOwnerId: Number(other.accountId),
    });
    expect(idsOf(byOwner)).toEqual([ids.sharedIn]);
    expect(idsOf(await describeAs({ imageOwnerAlias: 'others', imageOwnerId: 1234 }))).toEqual([]);
    await expectCode(
      describeAs({ imageOwnerAlias: 'self', imageOwnerId: Number(other.accountId) }),
      'InvalidOperation.ImageOwnerIdUnsupported',
      400,
    );
  });

  it('refuses IsPublic=true without ImageOwnerAlias=others and unknown aliases', async () => {
    await expectCode(
      describeAs({ isPublic: true }),
      'InvalidImageOwnerAlias.PublicImageUnsupported',
      400,
    );
    await expectCode(
      describeAs({ imageOwnerAlias: 'everyone' }),
      'InvalidImageOwnerAlias.ValueNotSupported',
      400,
    );
  });

  it('lists marketplace images under marketplace only, expired ones with ShowExpired', async () => {
    const store = t.server.services.store;
    const base = (await store.images.find(REGION, 'centos_7_9_x64_20G_alibase_20240628.vhd'))!;
    for (const [id, expired] of [
      ['m-market-live', 0],
      ['m-market-expired', 1],
    ] as const) {
      await store.images.insert({
        ...base,
        id,
        name: id,
        family: null,
        category: 'marketplace',
        product_code: 'cmjj0000001',
        is_expired: expired,
      });
    }
    expect(idsOf(await describeAs({ imageOwnerAlias: 'marketplace' }))).toEqual(['m-market-live']);
    expect(
      idsOf(await describeAs({ imageOwnerAlias: 'marketplace', showExpired: true })).sort(),
    ).toEqual(['m-market-expired', 'm-market-live']);
    expect(idsOf(await describeAs({ pageSize: 100 }))).not.toContain('m-market-live');
  });

  it('defaults Status to Available, takes comma lists and ALL alone', async () => {
    expect(idsOf(await describeAs({ imageOwnerAlias: 'self' }))).not.toContain(ids.creating);
    expect(idsOf(await describeAs({ imageOwnerAlias: 'self', status: 'Creating' }))).toEqual([
      ids.creating,
    ]);
    const both = idsOf(await describeAs({ imageOwnerAlias: 'self', status: 'Creating,Available' }));
    expect(both).toHaveLength(4);
    expect(idsOf(await describeAs({ imageOwnerAlias: 'self', status: 'ALL' }))).toHaveLength(4);
    await expectCode(
      describeAs({ imageOwnerAlias: 'self', status: 'ALL,Available' }),
      'InvalidParamter',
      400,
    );
    await expectCode(describeAs({ status: 'Broken' }), 'InvalidParamter', 400);
  });

  it('applies no Status default when Usable is given', async () => {
    expect(idsOf(await describeAs({ imageOwnerAlias: 'self', usable: false }))).toEqual([
      ids.creating,
    ]);
    expect(idsOf(await describeAs({ imageOwnerAlias: 'self', usable: true }))).toHaveLength(3);
  });

  it('matches ImageName as a case-insensitive substring with wildcards taken literally', async () => {
    expect(idsOf(await describeAs({ imageName: 'server_1' }))).toEqual([ids.web]);
    expect(idsOf(await describeAs({ imageName: 'WEB-server' }))).toEqual([ids.web]);
    // LIKE wildcards in the query are literal characters: nothing has "%" or "r_1x" in its name.
    expect(idsOf(await describeAs({ imageName: 'r%1' }))).toEqual([]);
    expect(idsOf(await describeAs({ imageName: 'Serve_' }))).toEqual([]);
    expect(idsOf(await describeAs({ imageName: 'no-such-name' }))).toEqual([]);
  });

  it('filters by one ImageId or a comma list; unknown IDs give an empty list', async () => {
    expect(idsOf(await describeAs({ imageId: ids.arm }))).toEqual([ids.arm]);
    expect(idsOf(await describeAs({ imageId: `${ids.arm}, ${ids.win}` })).sort()).toEqual(
      [ids.arm, ids.win].sort(),
    );
    expect(idsOf(await describeAs({ imageId: 'm-doesnotexist' }))).toEqual([]);
    expect(idsOf(await describeAs({ imageId: ids.foreign }))).toEqual([]);
  });

  it('filters by SnapshotId of a disk device mapping', async () => {
    const res: any = await describeAs({ imageId: ids.win });
    const img = res.body.images.image[0];
    const snapshotId = img.diskDeviceMappings.diskDeviceMapping[0].snapshotId;
    expect(idsOf(await describeAs({ snapshotId }))).toEqual([ids.win]);
  });

  it('filters by Tag.N (key and value, key alone) and checks the tag list', async () => {
    const tag = (key?: string, value?: string) => new Ecs.DescribeImagesRequestTag({ key, value });
    expect(idsOf(await describeAs({ tag: [tag('env', 'prod')] }))).toEqual([ids.web]);
    expect(idsOf(await describeAs({ tag: [tag('env')] }))).toEqual([ids.web]);
    expect(idsOf(await describeAs({ tag: [tag('env', 'prod'), tag('team', 'web')] }))).toEqual([
      ids.web,
    ]);
    expect(idsOf(await describeAs({ tag: [tag('env', 'dev')] }))).toEqual([]);
    await expectCode(describeAs({ tag: [tag(undefined, 'prod')] }), 'InvalidTag.Mismatch', 400);
    const twenty = Array.from({ length: 20 }, (_, i) => tag(`k${i}`, 'v'));
    expect(idsOf(await describeAs({ tag: twenty }))).toEqual([]);
    await expectCode(describeAs({ tag: [...twenty, tag('k20', 'v')] }), 'InvalidTagCount', 400);
  });

  it('filters by creation time with Filter.N and refuses bad keys and values', async () => {
    const filter = (key: string, value: string) =>
      new Ecs.DescribeImagesRequestFilter({ key, value });
    const custom = idsOf(
      await describeAs({
        filter: [filter('CreationStartTime', '2025-01-01T00:00Z')],
        pageSize: 100,
      }),
    );
    expect(custom.sort()).toEqual([ids.web, ids.arm, ids.win, ids.sharedIn].sort());
    const old = idsOf(
      await describeAs({
        filter: [
          filter('CreationStartTime', '2024-05-28T00:00Z'),
          filter('CreationEndTime', '2024-05-29T00:00Z'),
        ],
      }),
    );
    expect(old.sort()).toEqual(
      ['aliyun_3_arm64_20G_alibase_20240528.vhd', 'aliyun_3_x64_20G_alibase_20240528.vhd'].sort(),
    );
    await expectCode(
      describeAs({ filter: [filter('CreationStartTime', '2024-05-28')] }),
      'InvalidFilterValue',
      404,
    );
    await expectCode(
      describeAs({ filter: [filter('Colour', 'x')] }),
      'InvalidFilterKey.NotFound',
      404,
    );
  });

  it('filters by NetworkType and hot-plug features', async () => {
    const filter = (key: string, value: string) =>
      new Ecs.DescribeImagesRequestFilter({ key, value });
    const classic = idsOf(
      await describeAs({ filter: [filter('NetworkType', 'classic')], pageSize: 100 }),
    );
    expect(classic).toContain('centos_7_9_x64_20G_alibase_20240628.vhd');
    expect(classic).not.toContain('aliyun_3_arm64_20G_alibase_20240528.vhd');
    expect(classic).not.toContain(ids.web);
    const vpc = await describeAs({ filter: [filter('NetworkType', 'vpc')] });
    expect((vpc.body as any).totalCount).toBe(SYSTEM_IMAGES.length + 4);
    await expectCode(
      describeAs({ filter: [filter('NetworkType', 'overlay')] }),
      'InvalidFilterValue.NetworkType',
      400,
    );
    const hot = idsOf(await describeAs({ filter: [filter('CpuOnlineUpgrade', 'supported')] }));
    expect(hot.sort()).toEqual(
      ['aliyun_3_x64_20G_alibase_20231220.vhd', 'aliyun_3_x64_20G_alibase_20240528.vhd'].sort(),
    );
    await expectCode(
      describeAs({ filter: [filter('MemoryOnlineUpgrade', 'maybe')] }),
      'InvalidFilterValue',
      404,
    );
  });

  it('filters by OSType, Architecture, ImageFamily, cloud-init and I/O optimisation', async () => {
    expect(idsOf(await describeAs({ imageOwnerAlias: 'self', OSType: 'windows' }))).toEqual([
      ids.win,
    ]);
    const windows = idsOf(await describeAs({ OSType: 'windows', imageOwnerAlias: 'system' }));
    expect(windows).toHaveLength(2);
    await expectCode(describeAs({ OSType: 'macos' }), 'InvalidOSType', 404);
    expect(idsOf(await describeAs({ imageOwnerAlias: 'self', architecture: 'arm64' }))).toEqual([
      ids.arm,
    ]);
    await expectCode(describeAs({ architecture: 'riscv64' }), 'InvalidArchitecture', 404);
    expect(idsOf(await describeAs({ imageFamily: 'web' }))).toEqual([ids.web]);
    expect(idsOf(await describeAs({ imageFamily: 'acs:ubuntu_22_04_x64' }))).toEqual([
      'ubuntu_22_04_x64_20G_alibase_20240130.vhd',
    ]);
    const noInit = idsOf(await describeAs({ isSupportCloudinit: false, pageSize: 100 }));
    expect(noInit.sort()).toEqual(
      [
        ids.win,
        'win2019_1809_x64_dtc_en-us_40G_alibase_20240515.vhd',
        'win2022_21H2_x64_dtc_zh-cn_40G_alibase_20240515.vhd',
      ].sort(),
    );
    expect(idsOf(await describeAs({ isSupportIoOptimized: false }))).toEqual([]);
  });

  it('filters by InstanceType through its architecture and validates ActionType', async () => {
    const arm = idsOf(await describeAs({ instanceType: 'ecs.g8y.large', pageSize: 100 }));
    expect(arm.sort()).toEqual(
      [
        ids.arm,
        'aliyun_3_arm64_20G_alibase_20240528.vhd',
        'ubuntu_22_04_arm64_20G_alibase_20240130.vhd',
      ].sort(),
    );
    const x86 = idsOf(
      await describeAs({ instanceType: 'ecs.g7.large', actionType: 'ChangeOS', pageSize: 100 }),
    );
    expect(x86).toContain(ids.web);
    expect(x86).not.toContain(ids.arm);
    expect(
      idsOf(await describeAs({ instanceType: 'ecs.g8y.large', architecture: 'x86_64' })),
    ).toEqual([]);
    await expectCode(
      describeAs({ instanceType: 'ecs.zz9.huge' }),
      'InvalidInstanceType.ValueNotSupported',
      400,
    );
    await expectCode(describeAs({ actionType: 'Reboot' }), 'InvalidParameter', 400);
  });

  it('filters by Usage through the instance-usage probe', async () => {
    const images = t.server.services.images;
    await expectCode(describeAs({ usage: 'sometimes' }), 'InvalidUsage', 404);
    // No instances exist yet: nothing is in use.
    expect(idsOf(await describeAs({ imageOwnerAlias: 'self', usage: 'instance' }))).toEqual([]);
    images.setInstanceUsageProbe({
      imagesInUse: async (_region, only) =>
        new Set([ids.arm].filter((id) => !only || only.includes(id))),
    });
    try {
      expect(idsOf(await describeAs({ imageOwnerAlias: 'self', usage: 'instance' }))).toEqual([
        ids.arm,
      ]);
      const idle = idsOf(await describeAs({ imageOwnerAlias: 'self', usage: 'none' }));
      expect(idle.sort()).toEqual([ids.web, ids.win].sort());
      const res: any = await describeAs({ imageId: ids.arm });
      expect(res.body.images.image[0].usage).toBe('instance');
    } finally {
      images.setInstanceUsageProbe({ imagesInUse: async () => new Set() });
    }
  });

  it('combines filters: alias, OS type, name and tag at once', async () => {
    const tag = new Ecs.DescribeImagesRequestTag({ key: 'team', value: 'web' });
    expect(
      idsOf(
        await describeAs({
          imageOwnerAlias: 'self',
          OSType: 'linux',
          imageName: 'web',
          tag: [tag],
        }),
      ),
    ).toEqual([ids.web]);
    expect(
      idsOf(
        await describeAs({
          imageOwnerAlias: 'self',
          OSType: 'windows',
          imageName: 'web',
          tag: [tag],
        }),
      ),
    ).toEqual([]);
  });

  it('pages with PageSize 1..100 and refuses 0 and 101', async () => {
    const first: any = await describeAs({ pageSize: 5, pageNumber: 1 });
    const second: any = await describeAs({ pageSize: 5, pageNumber: 2 });
    expect(first.body.images.image).toHaveLength(5);
    expect(first.body.pageSize).toBe(5);
    expect(second.body.pageNumber).toBe(2);
    expect(idsOf(first).some((id) => idsOf(second).includes(id))).toBe(false);
    const defaults: any = await describeAs({});
    expect(defaults.body.pageSize).toBe(10);
    expect(defaults.body.pageNumber).toBe(1);
    expect(defaults.body.images.image).toHaveLength(10);
    const hundred: any = await describeAs({ pageSize: 100 });
    expect(hundred.body.images.image).toHaveLength(hundred.body.totalCount);
    const beyond: any = await describeAs({ pageSize: 10, pageNumber: 50 });
    expect(beyond.body.images.image).toEqual([]);
    expect(beyond.body.totalCount).toBe(hundred.body.totalCount);
    await expectCode(describeAs({ pageSize: 0 }), 'InvalidParameter', 400);
    await expectCode(describeAs({ pageSize: 101 }), 'InvalidParameter', 400);
    await expectCode(describeAs({ pageNumber: 0 }), 'InvalidParameter', 400);
  });

  it('orders newest first', async () => {
    const res: any = await describeAs({ pageSize: 100 });
    const times = res.body.images.image.map((i: any) => i.creationTime);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('answers DryRunOperation after validating the query', async () => {
    await expectCode(describeAs({ dryRun: true }), 'DryRunOperation', 400);
    await expectCode(describeAs({ dryRun: true, OSType: 'beos' }), 'InvalidOSType', 404);
  });

  it('answers the same over Bearer with the raw wire shape', async () => {
    const res = await bearerCall(t, 'DescribeImages', { RegionId: REGION, ImageId: ids.web });
    expect(res.status).toBe(200);
    expect(res.body.Images.Image[0].DiskDeviceMappings.DiskDeviceMapping[0].Size).toBe('20');
    expect(res.body.Images.Image[0].IsSelfShared).toBe('false');
    expect(res.body).not.toHaveProperty('Code');
  });
});
