import { existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { TestApi } from '../api-spec';

export const dashboardDir = resolve(__dirname, '../../dashboard');

const knownPaths = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];
const knownNames = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/**
 * CHROMIUM_PATH, else the first Chromium or Chrome in the places tools/services/install-chromium.sh looks (Debian's
 * package first, then PATH), so the test drives the browser that script found or installed.
 */
export const chromiumPath = ((): string => {
  if (process.env.CHROMIUM_PATH !== undefined && process.env.CHROMIUM_PATH !== '') return process.env.CHROMIUM_PATH;
  const onPath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '')
    .flatMap((dir) => knownNames.map((name) => join(dir, name)));
  return [...knownPaths, ...onPath].find((path) => existsSync(path)) ?? '/usr/bin/chromium';
})();

const newestChange = (path: string): number => {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestChange(join(path, entry))));
};

/** Builds the page with Vite's JS API when `dist/` is missing or older than its sources (about 2 s). */
export const ensureDashboardBuilt = async (): Promise<void> => {
  const index = join(dashboardDir, 'dist', 'index.html');
  const sources = Math.max(
    newestChange(join(dashboardDir, 'src')),
    newestChange(join(dashboardDir, 'index.html')),
    newestChange(join(dashboardDir, 'vite.config.mjs')),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const vite = await import('vite');
  await vite.build({ configFile: join(dashboardDir, 'vite.config.mjs'), logLevel: 'warn' });
};

/** Fails (rather than skips) without a browser: `npm run test:browser` provides one, so its absence is a broken setup. */
export const launchChromium = async (): Promise<Browser> => {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium is not installed at ${chromiumPath}: the dashboard test drives a real browser. ` +
        'Run it with `npm run test:browser` (which finds or installs Chromium), or set CHROMIUM_PATH to a ' +
        'Chromium or Chrome binary.',
    );
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
    timeout: 30_000,
  });
};

export interface DashboardServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The engine serves the page (`/`), its live stream (`/v1/stream`) and the API on one origin. */
export const startDashboardServer = (api: TestApi): Promise<DashboardServer> =>
  Promise.resolve({ url: api.url, close: () => Promise.resolve() });

/** Retries `check` until it stops throwing, then returns its result; rethrows its last error after `timeoutMs`. */
export const eventually = async <T>(check: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
};
