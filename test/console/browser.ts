/**
 * Browser harness for the console tests: builds the console when its files are newer than the
 * build, starts the real server in-process, and drives Debian's chromium with playwright-core.
 * Every page records browser console errors and uncaught exceptions; `finish` fails the test on
 * any, and saves a screenshot under test-output/console/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONSOLE_DIR = path.join(ROOT, 'console');
const DIST_INDEX = path.join(CONSOLE_DIR, 'dist', 'index.html');
export const SCREENSHOT_DIR = path.join(ROOT, 'test-output', 'console');
export const CHROMIUM = process.env.ECSIMG_CHROMIUM ?? '/usr/bin/chromium';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs;
    newest = Math.max(newest, mtime);
  }
  return newest;
}

/** Builds console/dist when it is missing or older than a source file (or src/api/actions). */
export async function ensureConsoleBuilt(): Promise<void> {
  const built = fs.existsSync(DIST_INDEX) ? fs.statSync(DIST_INDEX).mtimeMs : 0;
  const sources = Math.max(
    newestMtime(CONSOLE_DIR),
    fs.statSync(path.join(ROOT, 'package.json')).mtimeMs,
  );
  if (built > sources) return;
  const { build } = await import('vite');
  await build({ configFile: path.join(CONSOLE_DIR, 'vite.config.ts'), logLevel: 'warn' });
}

export interface ConsoleSession {
  server: TestServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Browser console errors and page exceptions seen so far. */
  errors: string[];
  /** Messages matching these are expected (e.g. a 4xx the test provokes on purpose). */
  allow: RegExp[];
  url(hash?: string): string;
  close(): Promise<void>;
}

/** playwright's launch() gives each browser a fresh temporary profile (user-data-dir). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

/** A fresh server, a fresh browser context (1280×800, a laptop screen) and a page. */
export async function openConsole(browser: Browser, server?: TestServer): Promise<ConsoleSession> {
  const owned = !server;
  const srv = server ?? (await startTestServer('sqlite'));
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale: 'en-US',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  const session: ConsoleSession = {
    server: srv,
    browser,
    context,
    page,
    errors,
    allow: [],
    url: (hash = '') => `${srv.url}/console/${hash ? `#${hash}` : ''}`,
    close: async () => {
      await context.close();
      if (owned) await srv.close();
    },
  };
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = `${msg.text()} (${msg.location().url})`;
    if (!session.allow.some((re) => re.test(text))) errors.push(text);
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  return session;
}

/** Signs in with the administrator's API key through the sign-in form. */
export async function signInWithApiKey(s: ConsoleSession, hash = '/images'): Promise<void> {
  await s.page.goto(s.url(hash));
  await s.page.getByTestId('api-key').fill(s.server.admin.apiKey);
  await s.page.getByTestId('sign-in').click();
  await s.page.getByTestId('account').waitFor();
}

/** Saves the screenshot, then fails if the browser logged an error. */
export async function finish(s: ConsoleSession, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // Let dialogs and notices finish their opening animation so the picture shows the end state.
  await s.page.waitForTimeout(400);
  await s.page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
  if (s.errors.length) throw new Error(`browser console errors:\n${s.errors.join('\n')}`);
}
