/**
 * The web console in a real browser (Debian's chromium through playwright-core) against the real
 * server in-process. Each test fails on any browser console error and leaves a screenshot in
 * test-output/console/.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  ensureConsoleBuilt,
  finish,
  launchBrowser,
  openConsole,
  signInWithApiKey,
  type ConsoleSession,
} from './browser.js';

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
    const stored = await page.evaluate(() => ({
      session: sessionStorage.getItem('ecsimg.session'),
      local: localStorage.getItem('ecsimg.session'),
    }));
    expect(stored.session).toContain(s.server.admin.apiKey);
    expect(stored.local).toBeNull();
    await finish(s, 'sign-in-api-key');

    await page.getByTestId('account').click();
    await page.getByText('Sign out').click();
    await page.getByTestId('sign-in').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('ecsimg.session'))).toBeNull();
  });
});
