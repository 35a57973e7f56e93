/**
 * The web console in a real browser (Debian's chromium through playwright-core) against the real
 * server in-process. Each test fails on any browser console error and leaves a screenshot in
 * test-output/console/.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAST_ENV } from '../import-export/helpers.js';
import { bearerCall, startTestServer } from '../helpers/server.js';
import type { Browser } from 'playwright-core';
import {
  ensureConsoleBuilt,
  finish,
  launchBrowser,
  openConsole,
  signInWithApiKey,
  type ConsoleSession,
} from './browser.js';

const REGION = 'cn-hangzhou';

/** Creates a custom image of the administrator straight through the domain service. */
async function makeImage(
  session: ConsoleSession,
  name: string,
  options: { available?: boolean; progress?: number; sizeGib?: number } = {},
): Promise<string> {
  const images = session.server.server.services.images;
  const image = await images.createImage({
    accountId: session.server.admin.accountId,
    regionId: REGION,
    name,
    origin: 'import',
    osType: 'linux',
    mappings: [
      {
        type: 'system',
        format: 'qcow2',
        importOssBucket: 'disks',
        importOssObject: `${name}.qcow2`,
      },
    ],
  });
  if (options.progress !== undefined) await images.setProgress(REGION, image.id, options.progress);
  if (options.available) {
    await images.markAvailable(REGION, image.id, { sizeGib: options.sizeGib ?? 40 });
  }
  return image.id;
}

/** Waits until the images table no longer shows an image. */
async function waitUntilGone(session: ConsoleSession, imageId: string): Promise<void> {
  // A string expression: the test files are compiled without the DOM library.
  await session.page.waitForFunction(
    `![...document.querySelectorAll('[data-testid=image-id]')]` +
      `.some((e) => e.textContent === ${JSON.stringify(imageId)})`,
  );
}

/** The image IDs the table shows. */
async function shownImageIds(session: ConsoleSession): Promise<string[]> {
  return session.page.getByTestId('image-id').allTextContents();
}

let browser: Browser;
let s: ConsoleSession | undefined;

beforeAll(async () => {
  await ensureConsoleBuilt();
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('console', () => {
  it('signs in with an API key, remembers it for the tab only, and signs out', async () => {
    s = await openConsole(browser);
    const { page } = s;
    await signInWithApiKey(s, '/tasks');

    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Tasks');
    const stored = {
      session: await page.evaluate<string | null>("sessionStorage.getItem('ecsimg.session')"),
      local: await page.evaluate<string | null>("localStorage.getItem('ecsimg.session')"),
    };
    expect(stored.session).toContain(s.server.admin.apiKey);
    expect(stored.local).toBeNull();
    await finish(s, 'sign-in-api-key');

    await page.getByTestId('account').click();
    await page.getByText('Sign out').click();
    await page.getByTestId('sign-in').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('ecsimg.session')")).toBeNull();
  });

  it('signs in with an AccessKey pair, signing each request with ACS3 in the browser', async () => {
    s = await openConsole(browser);
    const { page } = s;
    await page.goto(s.url('/tasks'));
    await page.getByRole('tab', { name: 'AccessKey pair' }).click();
    await page.getByTestId('access-key-id').fill(s.server.admin.accessKeyId);
    await page.getByTestId('access-key-secret').fill(s.server.admin.accessKeySecret);

    const signed = page.waitForRequest((r) => r.url().includes('Action=DescribeRegions'));
    await page.getByTestId('sign-in').click();
    const request = await signed;
    expect(request.headers().authorization).toMatch(/^ACS3-HMAC-SHA256 Credential=/);
    await page.getByTestId('account').waitFor();
    expect(await page.getByTestId('account').textContent()).toContain(s.server.admin.accessKeyId);
    await finish(s, 'sign-in-access-key');
  });

  it('refuses a wrong API key with its code and a link to the fix', async () => {
    s = await openConsole(browser);
    s.allow.push(/status of 401/);
    const { page } = s;
    await page.goto(s.url('/images'));
    await page.getByTestId('api-key').fill('not-a-key');
    await page.getByTestId('sign-in').click();
    const details = page.getByTestId('error-details');
    await details.waitFor();
    expect(await page.locator('.ant-alert').textContent()).toContain('InvalidApiKey.NotFound');
    expect(await details.getByRole('link').getAttribute('href')).toContain(
      '#/troubleshooting?code=InvalidApiKey.NotFound',
    );
    await finish(s, 'sign-in-refused');
  });

  it('switches every label to Chinese and back, and remembers the choice', async () => {
    s = await openConsole(browser);
    const { page } = s;
    await signInWithApiKey(s, '/tasks');

    await page.getByTestId('language-switcher').getByText('中文').click();
    await page.getByRole('heading', { name: '任务' }).waitFor();
    expect(await page.getByRole('navigation').textContent()).toContain('错误诊断');
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    // The region names come from DescribeRegions in the UI language.
    await page
      .getByTestId('region-switcher')
      .getByText('华东1（杭州）', { exact: false })
      .waitFor();

    await page.reload();
    await page.getByRole('heading', { name: '任务' }).waitFor();
    await finish(s, 'language-zh');

    await page.getByTestId('language-switcher').getByText('English').click();
    await page.getByRole('heading', { name: 'Tasks' }).waitFor();
    expect(await page.getByRole('navigation').textContent()).toContain('Troubleshooting');
  });

  it('filters images, keeps the filter in the URL, and restores it after a reload', async () => {
    s = await openConsole(browser);
    const { page } = s;
    const web = await makeImage(s, 'web-frontend', { available: true, sizeGib: 40 });
    const db = await makeImage(s, 'db-primary', { available: true, sizeGib: 80 });
    const building = await makeImage(s, 'web-building', { progress: 42 });
    await signInWithApiKey(s, '/images');

    await page.getByTestId('images-table').getByText(db).waitFor();
    expect((await shownImageIds(s)).sort()).toEqual([building, db, web].sort());
    // The image still being made shows its progress.
    expect(await page.getByRole('row', { name: new RegExp(building) }).textContent()).toContain(
      '42%',
    );

    await page.getByPlaceholder('Search by image name').fill('web');
    await page.getByTestId('filter-toggle').click();
    await page.getByTestId('filter-status').click();
    await page.locator('.ant-select-dropdown').getByText('Available', { exact: true }).click();
    await page.keyboard.press('Escape');
    await page.getByTestId('filter-apply').click();

    await page.waitForURL(/name=web/);
    expect(page.url()).toContain('status=Available');
    await waitUntilGone(s, building);
    expect(await shownImageIds(s)).toEqual([web]);

    await page.reload();
    await page.getByTestId('images-table').getByText(web).waitFor();
    expect(await shownImageIds(s)).toEqual([web]);
    expect(await page.getByPlaceholder('Search by image name').inputValue()).toBe('web');
    await finish(s, 'images-filtered');
  });

  it('shows a broken rule before submitting and links its code to troubleshooting', async () => {
    s = await openConsole(browser);
    const { page } = s;
    const id = await makeImage(s, 'web-frontend', { available: true });
    await signInWithApiKey(s, '/images');
    await page.getByTestId('images-table').getByText(id).waitFor();

    let modifyCalls = 0;
    page.on('request', (r) => {
      if (r.url().includes('Action=ModifyImageAttribute')) modifyCalls += 1;
    });
    await page.getByRole('button', { name: 'Modify' }).click();
    const dialog = page.getByRole('dialog');
    // The rules are on screen before anything is typed.
    const rules = await dialog.getByTestId('rules-ImageName').textContent();
    expect(rules).toContain('2–128 characters');
    expect(rules).toContain('Must not start with aliyun, acs:');

    await page.getByTestId('modify-name').fill('http://example');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const violation = dialog.getByTestId('rule-violation');
    await violation.waitFor();
    expect(await violation.textContent()).toContain('InvalidImageName.Malformed');
    expect(modifyCalls).toBe(0);
    await finish(s, 'validation-error');

    await violation.getByRole('link').click();
    await page.waitForURL(/troubleshooting\?code=InvalidImageName.Malformed/);
    const entry = page.getByTestId('error-entry');
    await entry.waitFor();
    expect(await entry.textContent()).toContain('InvalidImageName.Malformed');
    expect(await entry.textContent()).toContain('Likely cause');
    await finish(s, 'troubleshooting');
  });

  it('pasting a whole error body finds its code and shows the fix in Chinese', async () => {
    s = await openConsole(browser);
    const { page } = s;
    await page.goto(s.url('/troubleshooting'));
    await page.getByTestId('language-switcher').getByText('中文').click();
    const body = JSON.stringify({
      RequestId: '0A1B2C3D-0000-4000-8000-000000000000',
      Code: 'InvalidImageId.NotFound',
      Message: 'whatever the server said',
    });
    await page.getByTestId('trouble-input').fill(body);
    await page.getByTestId('trouble-search').click();
    const entry = page.getByTestId('error-entry');
    await entry.waitFor();
    const text = await entry.textContent();
    expect(text).toContain('InvalidImageId.NotFound');
    expect(text).toContain('解决办法');
    expect(text).toContain('0A1B2C3D-0000-4000-8000-000000000000');
    await finish(s, 'troubleshooting-paste-zh');
  });

  it('deletes an image after showing what depends on it', async () => {
    s = await openConsole(browser);
    const { page } = s;
    const keep = await makeImage(s, 'keep-me', { available: true });
    const doomed = await makeImage(s, 'delete-me', { available: true });
    await signInWithApiKey(s, '/images');
    await page.getByTestId('images-table').getByText(doomed).waitFor();

    await page.getByRole('button', { name: `More ${doomed}` }).click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    const dependents = page.getByTestId('delete-dependents');
    await dependents.waitFor();
    expect(await dependents.textContent()).toContain('Running tasks');
    await finish(s, 'delete-dialog');

    await page.getByTestId('confirm-delete').click();
    await page.getByText(`Image ${doomed} deleted.`).waitFor();
    await waitUntilGone(s, doomed);
    const listed = await bearerCall(s.server, 'DescribeImages', {
      RegionId: REGION,
      ImageOwnerAlias: 'self',
      Status: 'ALL',
    });
    expect(listed.body.Images.Image.map((i: { ImageId: string }) => i.ImageId)).toEqual([keep]);
  });

  it('creates a bucket, uploads a file, downloads the same bytes and deletes it', async () => {
    s = await openConsole(browser);
    const { page } = s;
    await signInWithApiKey(s, '/buckets');

    await page.getByTestId('create-bucket').click();
    await page.getByTestId('bucket-name').fill('console-disks');
    await page.getByRole('dialog').getByRole('button', { name: 'OK' }).click();
    await page.waitForURL(/bucket=console-disks/);

    const content = Buffer.from('QFI\xfb' + 'x'.repeat(300_000), 'latin1');
    await page.getByTestId('upload-input').setInputFiles({
      name: 'disk.qcow2',
      mimeType: 'application/octet-stream',
      buffer: content,
    });
    const row = page.getByTestId('objects-table').getByRole('row', { name: /disk\.qcow2/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('293 KiB');
    await finish(s, 'buckets-uploaded');

    const download = page.waitForEvent('download');
    await row.getByRole('button', { name: 'Download' }).click();
    const file = await (await download).path();
    expect(fs.readFileSync(file).equals(content)).toBe(true);

    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Object disk.qcow2 deleted.').waitFor();
    const listed = await bearerCall(s.server, 'ListObjects', { BucketName: 'console-disks' });
    expect(listed.body.Objects.Object).toEqual([]);
  });

  it('imports an uploaded qcow2, sees it become Available, exports and downloads it', async () => {
    const server = await startTestServer('sqlite', { ...FAST_ENV, ECSIMG_EMBEDDED_WORKER: 'true' });
    try {
      s = await openConsole(browser, server);
      const { page } = s;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecsimg-console-'));
      const disk = path.join(dir, 'web.qcow2');
      execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '256M']);
      await bearerCall(server, 'PutBucket', { RegionId: REGION, BucketName: 'disks' });
      await signInWithApiKey(s, '/images');

      // Import: upload through the dialog; the format is recognised before anything is sent.
      await page.getByRole('button', { name: 'Import image' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByTestId('role-missing').waitFor();
      await dialog.getByTestId('authorize-role').click();
      await dialog.getByTestId('role-missing').waitFor({ state: 'detached' });
      await dialog.getByTestId('upload-input').setInputFiles(disk);
      await dialog.getByTestId('detected-format').getByText('QCOW2').waitFor();
      await page.waitForFunction(
        `document.querySelector('[data-testid=import-object-key]')?.value === 'web.qcow2'`,
      );
      await dialog.getByTestId('import-name').fill('web-imported');
      await dialog.getByTestId('import-size').fill('40');
      await finish(s, 'import-dialog');
      await dialog.getByTestId('import-submit').click();

      const row = page.getByRole('row', { name: /web-imported/ });
      await row.waitFor();
      await row.getByText('Available').waitFor({ timeout: 60_000 });
      const imageId = (await row.getByTestId('image-id').textContent())!;
      await finish(s, 'import-available');

      // Export to the same bucket as qcow2, follow the task, download the result.
      await page.getByRole('button', { name: `More ${imageId}` }).click();
      await page.getByRole('menuitem', { name: 'Export' }).click();
      const exportDialog = page.getByRole('dialog');
      await exportDialog.getByTestId('authorize-role').click();
      await exportDialog.getByTestId('role-missing').waitFor({ state: 'detached' });
      await exportDialog.getByTestId('export-bucket').click();
      await page.locator('.ant-select-dropdown:visible [title="disks"]').click();
      await exportDialog.getByTestId('export-prefix').fill('exp');
      await exportDialog.getByTestId('export-format').click();
      await page.locator('.ant-select-dropdown:visible [title="QCOW2"]').click();
      await exportDialog.getByTestId('export-submit').click();
      // The import's notice may still be up on a slow machine: follow the export's own link.
      await page
        .locator('.ant-notification-notice')
        .filter({ hasText: /Export of .* started/ })
        .getByText(/Follow task/)
        .click();

      await page.getByRole('heading', { name: 'Tasks' }).waitFor();
      await page.getByTestId('task-status').getByText('Finished').waitFor({ timeout: 60_000 });
      await finish(s, 'export-finished');

      await page.goto(s.url('/buckets?bucket=disks'));
      const exported = page.getByTestId('objects-table').getByRole('row', { name: /exp.*\.qcow2/ });
      await exported.waitFor();
      const download = page.waitForEvent('download');
      await exported.getByRole('button', { name: 'Download' }).click();
      const file = fs.readFileSync((await (await download).path())!);
      expect(file.subarray(0, 4).toString('latin1')).toBe('QFI\xfb');
      await finish(s, 'export-downloaded');
    } finally {
      await s?.close();
      s = undefined;
      await server.close();
    }
  });
});
