import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCredentials } from '../../src/domain/accounts/service.js';
import { BACKENDS } from '../helpers/databases.js';
import { Ecs, ecsClient, startTestServer, type TestServer } from '../helpers/server.js';
import { REGION, expectCode, makeImage } from './helpers.js';

describe.each(BACKENDS)(
  'ModifyImageAttribute, DeleteImage, families and instance types on %s',
  (backend) => {
    let t: TestServer;
    let owner: string;
    let other: IssuedCredentials;

    const client = (creds = t.admin) => ecsClient(t, creds);
    const modify = (params: Record<string, unknown>, creds = t.admin) =>
      client(creds).modifyImageAttribute(
        new Ecs.ModifyImageAttributeRequest({ regionId: REGION, ...params }),
      );
    const remove = (params: Record<string, unknown>, creds = t.admin) =>
      client(creds).deleteImage(new Ecs.DeleteImageRequest({ regionId: REGION, ...params }));
    const find = async (imageId: string, creds = t.admin) => {
      const res: any = await client(creds).describeImages(
        new Ecs.DescribeImagesRequest({ regionId: REGION, imageId, status: 'ALL' }),
      );
      return res.body.images.image[0];
    };

    beforeAll(async () => {
      t = await startTestServer(backend);
      owner = t.admin.accountId;
      other = await t.server.services.accounts.createAccount('other');
    });
    afterAll(async () => t?.close());

    describe('names and descriptions', () => {
      it.each([
        ['ab', true],
        ['a', false],
        ['a'.repeat(128), true],
        ['a'.repeat(129), false],
        ['中文镜像名称', true],
        ['镜像', true],
        ['镜', false],
        ['web.v1:prod_2-x', true],
        ['9lives', false],
        ['-dash', false],
        ['aliyun_copy', false],
        ['ACS:mine', false],
        ['myhttp://x', false],
        ['has space', false],
      ])('ImageName %s accepted=%s', async (name, ok) => {
        const image = await makeImage(t, owner);
        const call = modify({ imageId: image.id, imageName: name });
        if (ok) {
          await call;
          expect((await find(image.id)).imageName).toBe(name);
        } else {
          await expectCode(call, 'InvalidImageName.Malformed', 400);
        }
      });

      it('refuses a name another own image uses in the region, allows one of another account', async () => {
        const a = await makeImage(t, owner, { name: 'taken-name' });
        const b = await makeImage(t, owner);
        await expectCode(
          modify({ imageId: b.id, imageName: 'taken-name' }),
          'InvalidImageName.Duplicated',
          400,
        );
        // Renaming an image to its own name is no change.
        await modify({ imageId: a.id, imageName: 'taken-name' });
        const foreign = await makeImage(t, other.accountId);
        await modify({ imageId: foreign.id, imageName: 'taken-name' }, other);
      });

      it('refuses a duplicate name when an area creates an image through the domain', async () => {
        await makeImage(t, owner, { name: 'domain-dup' });
        await expect(makeImage(t, owner, { name: 'domain-dup' })).rejects.toMatchObject({
          code: 'InvalidImageName.Duplicated',
        });
      });

      it.each([
        ['ab', true],
        ['d', false],
        ['d'.repeat(256), true],
        ['d'.repeat(257), false],
        ['描述', true],
        ['http://example.com/x', false],
        ['https://example.com/x', false],
        ['see http://example.com', true],
      ])('Description %s accepted=%s', async (description, ok) => {
        const image = await makeImage(t, owner);
        const call = modify({ imageId: image.id, description });
        if (ok) {
          await call;
          expect((await find(image.id)).description).toBe(description);
        } else {
          await expectCode(call, 'InvalidDescription.Malformed', 400);
        }
      });

      it('sets a family under the name rule', async () => {
        const image = await makeImage(t, owner);
        await modify({ imageId: image.id, imageFamily: 'team-base' });
        expect((await find(image.id)).imageFamily).toBe('team-base');
        await expectCode(
          modify({ imageId: image.id, imageFamily: 'acs:mine' }),
          'InvalidImageFamily.Malformed',
          400,
        );
        await expectCode(
          modify({ imageId: image.id, imageFamily: 'x' }),
          'InvalidImageFamily.Malformed',
          400,
        );
      });
    });

    describe('status, boot mode, features, licence', () => {
      it('deprecates and restores, refusing the wrong starting state', async () => {
        const image = await makeImage(t, owner);
        await expectCode(
          modify({ imageId: image.id, status: 'Available' }),
          'ImageStatus.NotDeprecated',
          403,
        );
        await modify({ imageId: image.id, status: 'Deprecated' });
        expect((await find(image.id)).status).toBe('Deprecated');
        await expectCode(
          modify({ imageId: image.id, status: 'Deprecated' }),
          'ImageStatus.NotAvailable',
          403,
        );
        await modify({ imageId: image.id, status: 'Available' });
        expect((await find(image.id)).status).toBe('Available');
        await expectCode(
          modify({ imageId: image.id, status: 'Creating' }),
          'InvalidParameter',
          400,
        );
      });

      it('refuses status changes while the image is being created or after it failed', async () => {
        const creating = await makeImage(t, owner, { available: false });
        await expectCode(
          modify({ imageId: creating.id, status: 'Deprecated' }),
          'InvalidStatus.ImageIsCreating',
          403,
        );
        await t.server.services.images.markFailed(REGION, creating.id, 'bad disk');
        await expectCode(
          modify({ imageId: creating.id, status: 'Deprecated' }),
          'ImageStatus.NotAvailable',
          403,
        );
      });

      it('refuses to deprecate a shared image', async () => {
        const image = await makeImage(t, owner);
        await t.server.services.store.images.insertShare({
          region_id: REGION,
          image_id: image.id,
          account_id: other.accountId,
          shared_at: Date.now(),
        });
        await expectCode(
          modify({ imageId: image.id, status: 'Deprecated' }),
          'ImageUseShared',
          403,
        );
      });

      it('keeps arm64 images on UEFI and IMDSv2 images on v2; licence only to BYOL', async () => {
        const arm = await makeImage(t, owner, { architecture: 'arm64' });
        await expectCode(
          modify({ imageId: arm.id, bootMode: 'BIOS' }),
          'InvalidBootMode.NotSupport',
          400,
        );
        const x86 = await makeImage(t, owner);
        await modify({ imageId: x86.id, bootMode: 'UEFI' });
        expect((await find(x86.id)).bootMode).toBe('UEFI');
        const features = (imdsSupport: string) =>
          new Ecs.ModifyImageAttributeRequestFeatures({ imdsSupport });
        await modify({ imageId: x86.id, features: features('v2') });
        expect((await find(x86.id)).features.imdsSupport).toBe('v2');
        await expectCode(
          modify({ imageId: x86.id, features: features('v1') }),
          'InvalidOperation.FeaturesImdsSupportNotMatch',
          403,
        );
        await expectCode(
          modify({ imageId: x86.id, features: features('v3') }),
          'InvalidParameter.FeaturesImdsSupport',
          400,
        );
        await expectCode(
          modify({ imageId: x86.id, licenseType: 'Aliyun' }),
          'InvalidLicenseType.NotSupported',
          400,
        );
        await modify({ imageId: x86.id, licenseType: 'BYOL' });
        expect((await find(x86.id)).licenseType).toBe('BYOL');
      });

      it('refuses a boot-mode change while instances use the image', async () => {
        const image = await makeImage(t, owner);
        const images = t.server.services.images;
        images.setInstanceUsageProbe({ imagesInUse: async () => new Set([image.id]) });
        try {
          await expectCode(
            modify({ imageId: image.id, bootMode: 'UEFI' }),
            'OperationDeined.ImageUsingByInstance',
            403,
          );
        } finally {
          images.setInstanceUsageProbe({ imagesInUse: async () => new Set() });
        }
      });

      it('validates on DryRun and changes nothing', async () => {
        const image = await makeImage(t, owner, { name: 'dry-run-keep' });
        await expectCode(
          modify({ imageId: image.id, imageName: 'dry-new', dryRun: true }),
          'DryRunOperation',
          400,
        );
        expect((await find(image.id)).imageName).toBe('dry-run-keep');
        await expectCode(
          modify({ imageId: image.id, imageName: 'x', dryRun: true }),
          'InvalidImageName.Malformed',
          400,
        );
      });

      it('does not let anyone modify a system image', async () => {
        await expectCode(
          modify({ imageId: 'ubuntu_22_04_x64_20G_alibase_20240130.vhd', imageName: 'mine' }),
          'InvalidImageId.NotFound',
          404,
        );
      });
    });

    describe('DeleteImage', () => {
      it('deletes an own image with its tags', async () => {
        const image = await makeImage(t, owner, { tags: [{ key: 'k', value: 'v' }] });
        await remove({ imageId: image.id });
        expect(await find(image.id)).toBeUndefined();
        const tags = await t.server.services.store.tags.tagsOf(
          { accountId: owner, regionId: REGION, resourceType: 'image' },
          [image.id],
        );
        expect(tags.size).toBe(0);
        await expectCode(remove({ imageId: image.id }), 'InvalidImageId.NotFound', 404);
      });

      it('refuses system images and unknown IDs with InvalidImageId.NotFound', async () => {
        await expectCode(
          remove({ imageId: 'centos_7_9_x64_20G_alibase_20240628.vhd' }),
          'InvalidImageId.NotFound',
          404,
        );
        await expectCode(remove({ imageId: 'm-nope' }), 'InvalidImageId.NotFound', 404);
      });

      it('refuses a shared image, a community image, an importing one and a copying one', async () => {
        const store = t.server.services.store;
        const shared = await makeImage(t, owner);
        await store.images.insertShare({
          region_id: REGION,
          image_id: shared.id,
          account_id: other.accountId,
          shared_at: 1,
        });
        await expectCode(remove({ imageId: shared.id, force: true }), 'ImageUseShared', 403);

        const community = await makeImage(t, owner);
        await store.images.update(REGION, community.id, { is_public: 1 });
        await expectCode(remove({ imageId: community.id }), 'ImageIsPublic', 403);

        const importing = await makeImage(t, owner, { available: false, origin: 'import' });
        await expectCode(remove({ imageId: importing.id }), 'ImageIsImporting', 403);

        const copying = await makeImage(t, owner, {
          available: false,
          origin: 'copy',
          status: 'Waiting',
        });
        await expectCode(remove({ imageId: copying.id }), 'OperationDenied.ImageCopying', 403);

        // A failed import can be deleted.
        await t.server.services.images.markFailed(REGION, importing.id, 'unreadable');
        await remove({ imageId: importing.id });
      });

      it('refuses while an export or a copy reads the image, and after it ends allows it', async () => {
        const images = t.server.services.images;
        const image = await makeImage(t, owner);
        expect(await images.beginOperation(REGION, image.id, 'export')).toBe(true);
        expect(await images.beginOperation(REGION, image.id, 'copy-source')).toBe(false);
        await expectCode(remove({ imageId: image.id }), 'ImageIsExporting', 403);
        await images.endOperation(REGION, image.id, 'export');
        expect(await images.beginOperation(REGION, image.id, 'copy-source')).toBe(true);
        await expectCode(remove({ imageId: image.id }), 'OperationDenied.ImageCopying', 403);
        await images.endOperation(REGION, image.id, 'copy-source');
        await remove({ imageId: image.id });
      });

      it('refuses an image used by instances unless Force=true', async () => {
        const images = t.server.services.images;
        const image = await makeImage(t, owner);
        images.setInstanceUsageProbe({ imagesInUse: async () => new Set([image.id]) });
        try {
          await expectCode(remove({ imageId: image.id }), 'ImageUsingByInstance', 403);
          await remove({ imageId: image.id, force: true });
          expect(await find(image.id)).toBeUndefined();
        } finally {
          images.setInstanceUsageProbe({ imagesInUse: async () => new Set() });
        }
      });

      it('checks on DryRun and keeps the image', async () => {
        const image = await makeImage(t, owner);
        await expectCode(remove({ imageId: image.id, dryRun: true }), 'DryRunOperation', 400);
        expect(await find(image.id)).toBeDefined();
      });
    });

    describe('cross-account isolation', () => {
      it('hides a private image from another account: no listing, no change, no delete, no tag', async () => {
        const image = await makeImage(t, owner, { name: 'very-private' });
        expect(await find(image.id, other)).toBeUndefined();
        await expectCode(
          modify({ imageId: image.id, imageName: 'stolen' }, other),
          'InvalidImageId.NotFound',
          404,
        );
        await expectCode(remove({ imageId: image.id }, other), 'InvalidImageId.NotFound', 404);
        await expectCode(
          client(other).tagResources(
            new Ecs.TagResourcesRequest({
              regionId: REGION,
              resourceType: 'image',
              resourceId: [image.id],
              tag: [new Ecs.TagResourcesRequestTag({ key: 'k', value: 'v' })],
            }),
          ),
          'InvalidResourceId.NotFound',
          404,
        );
        await expectCode(
          client(other).describeImageSupportInstanceTypes(
            new Ecs.DescribeImageSupportInstanceTypesRequest({
              regionId: REGION,
              imageId: image.id,
            }),
          ),
          'InvalidImageId.NotFound',
          404,
        );
        expect((await find(image.id)).imageName).toBe('very-private');
      });

      it('lets the recipient of a share see the image but not change or delete it', async () => {
        const image = await makeImage(t, owner);
        await t.server.services.store.images.insertShare({
          region_id: REGION,
          image_id: image.id,
          account_id: other.accountId,
          shared_at: Date.now(),
        });
        expect((await find(image.id, other)).imageOwnerAlias).toBe('others');
        await expectCode(
          modify({ imageId: image.id, description: 'mine now' }, other),
          'InvalidImageId.NotFound',
          404,
        );
        await expectCode(remove({ imageId: image.id }, other), 'InvalidImageId.NotFound', 404);
      });
    });

    describe('DescribeImageFromFamily', () => {
      const fromFamily = (imageFamily: string) =>
        client().describeImageFromFamily(
          new Ecs.DescribeImageFromFamilyRequest({ regionId: REGION, imageFamily }),
        );

      it('resolves a system family to its newest image', async () => {
        const res: any = await fromFamily('acs:alibaba_cloud_linux_3_2104_lts_x64');
        expect(res.body.image.imageId).toBe('aliyun_3_x64_20G_alibase_20240528.vhd');
        expect(res.body.image.imageOwnerAlias).toBe('system');
        expect(res.body.image.diskDeviceMappings.diskDeviceMapping[0].size).toBe('20');
      });

      it('skips deprecated and creating images, and answers empty for an unknown family', async () => {
        const older = await makeImage(t, owner, { family: 'rolling' });
        // Creation times are milliseconds; images made in the same one tie, and the tie is
        // broken by id, which is random.
        await new Promise((r) => setTimeout(r, 3));
        const newer = await makeImage(t, owner, { family: 'rolling' });
        await makeImage(t, owner, { family: 'rolling', available: false });
        expect(((await fromFamily('rolling')).body as any).image.imageId).toBe(newer.id);
        await modify({ imageId: newer.id, status: 'Deprecated' });
        expect(((await fromFamily('rolling')).body as any).image.imageId).toBe(older.id);
        const empty: any = await fromFamily('no-such-family');
        expect(empty.body.image).toBeUndefined();
        expect(empty.body.requestId).toBeDefined();
      });
    });

    describe('DescribeImageSupportInstanceTypes', () => {
      const types = (params: Record<string, unknown>) =>
        client().describeImageSupportInstanceTypes(
          new Ecs.DescribeImageSupportInstanceTypesRequest({ regionId: REGION, ...params }),
        );
      const idsOf = (res: any): string[] =>
        res.body.instanceTypes.instanceType.map((i: any) => i.instanceTypeId);

      it('offers arm64 types for an arm64 image and x86 types for an x86 image', async () => {
        const arm = idsOf(await types({ imageId: 'aliyun_3_arm64_20G_alibase_20240528.vhd' }));
        expect(arm).toContain('ecs.g8y.large');
        expect(arm.every((id) => /^ecs\.[gcr]8y\./.test(id))).toBe(true);
        const x86: any = await types({ imageId: 'ubuntu_22_04_x64_20G_alibase_20240130.vhd' });
        expect(idsOf(x86)).toContain('ecs.g7.large');
        expect(idsOf(x86)).not.toContain('ecs.g8y.large');
        expect(
          x86.body.instanceTypes.instanceType.find((i: any) => i.instanceTypeId === 'ecs.g7.large'),
        ).toEqual({
          instanceTypeId: 'ecs.g7.large',
          instanceTypeFamily: 'ecs.g7',
          cpuCoreCount: 2,
          memorySize: 8,
        });
      });

      it('leaves out types with less than 1 GiB of memory for Windows', async () => {
        const win = idsOf(
          await types({ imageId: 'win2022_21H2_x64_dtc_zh-cn_40G_alibase_20240515.vhd' }),
        );
        expect(win).not.toContain('ecs.t6-c4m1.large');
        expect(win).toContain('ecs.t6-c2m1.large');
      });

      it('refuses unknown and not-yet-available images', async () => {
        await expectCode(types({ imageId: 'm-missing' }), 'InvalidImageId.NotFound', 404);
        const creating = await makeImage(t, owner, { available: false });
        await expectCode(types({ imageId: creating.id }), 'InvalidImageId.NotFound', 404);
      });
    });
  },
);
