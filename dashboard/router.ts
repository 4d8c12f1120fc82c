import express, { type Response, type Router } from 'express';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export interface DashboardRouterOptions {
  /** the Vite build output; default: `dashboard/dist`, found from the source or the compiled file */
  readonly dir?: string;
}

/**
 * Where the build lives: beside this file when run from source (tsx), and two levels up from
 * `dist/dashboard/` when run compiled (`npm run build` compiles TypeScript only).
 */
const defaultDir = (): string => {
  const candidates = [resolve(__dirname, 'dist'), resolve(__dirname, '../../dashboard/dist')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? resolve(__dirname, 'dist');
};

// the page loads only its own bundle and talks only to this origin; Chart.js sizes canvases through CSSOM,
// which style-src does not restrict
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const notBuilt = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Dashboard not built</title></head>
<body>
<main>
<h1>Dashboard not built</h1>
<p>dashboard not built: run <code>npm run build:dashboard</code>, then reload this page.</p>
<p>The API itself is available under <code>/v1</code>.</p>
</main>
</body>
</html>
`;

const pageHeaders = (res: Response): void => {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
};

/**
 * The operators' dashboard: `index.html` at `/` and `/dashboard`, hashed assets under `assets/` cached for a year
 * (their names change with their content). Without a build it answers 503 with how to build it.
 */
export const dashboardRouter = (options: DashboardRouterOptions = {}): Router => {
  const dir = options.dir ?? defaultDir();
  const router = express.Router();

  router.get(['/', '/dashboard', '/dashboard/', '/index.html'], async (_req, res) => {
    pageHeaders(res);
    // read on every request (it is small) so a rebuild while the server runs is picked up with its new asset names
    const html = await readFile(join(dir, 'index.html'), 'utf8').catch(() => undefined);
    if (html === undefined) {
      res.status(503).type('html').setHeader('Cache-Control', 'no-store').send(notBuilt);
      return;
    }
    res.type('html').setHeader('Cache-Control', 'no-cache').send(html);
  });

  const assets = express.static(join(dir, 'assets'), {
    index: false,
    immutable: true,
    maxAge: '365d',
    fallthrough: true,
    setHeaders: (res) => {
      res.setHeader('X-Content-Type-Options', 'nosniff');
    },
  });
  // relative asset URLs resolve under /dashboard/ when the page is opened with a trailing slash
  router.use(['/assets', '/dashboard/assets'], assets);
  return router;
};
