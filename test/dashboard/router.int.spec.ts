import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpApp, listen, type RunningServer } from '../../http/app';
import { createLogger } from '../../infra/observability/logger';
import { createMetrics } from '../../infra/observability/metrics';
import { dashboardRouter } from '../../dashboard/router';

const serve = async (dir: string): Promise<RunningServer> =>
  listen(
    createHttpApp({
      logger: createLogger('silent'),
      metrics: createMetrics(false),
      apiKeys: [],
      bodyLimit: '64kb',
      v1: [],
      root: [dashboardRouter({ dir })],
      openApi: () => ({}),
      ready: () => Promise.resolve(true),
    }),
    '127.0.0.1',
    0,
  );

describe('the dashboard router', () => {
  let dir: string;
  let server: RunningServer | undefined;
  let url = '';

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dashboard-dist-'));
  });

  afterEach(async () => {
    await server?.close(1_000);
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (): Promise<void> => {
    server = await serve(dir);
    url = `http://127.0.0.1:${server.port}`;
  };

  describe('when the dashboard is built', () => {
    beforeEach(async () => {
      mkdirSync(join(dir, 'assets'));
      writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Commerce dashboard</title>');
      writeFileSync(join(dir, 'assets', 'index-abc123.mjs'), 'export {};');
      await start();
    });

    for (const path of ['/', '/dashboard', '/dashboard/']) {
      it(`serves the page at ${path}, revalidated on every visit and locked to its own origin`, async () => {
        const response = await fetch(`${url}${path}`);
        expect(response.status).to.equal(200);
        expect(response.headers.get('content-type')).to.match(/^text\/html/);
        expect(await response.text()).to.include('Commerce dashboard');
        expect(response.headers.get('cache-control')).to.equal('no-cache');
        expect(response.headers.get('content-security-policy')).to.include("default-src 'self'");
      });
    }

    it('serves hashed assets as JavaScript cached for a year, beside / and /dashboard/', async () => {
      for (const path of ['/assets/index-abc123.mjs', '/dashboard/assets/index-abc123.mjs']) {
        const response = await fetch(`${url}${path}`);
        expect(response.status, path).to.equal(200);
        expect(response.headers.get('content-type')).to.match(/^(text|application)\/javascript/);
        expect(response.headers.get('cache-control')).to.include('max-age=31536000').and.include('immutable');
      }
    });

    it('answers an unknown asset with the usual 404 problem', async () => {
      const response = await fetch(`${url}/assets/missing.mjs`);
      expect(response.status).to.equal(404);
      expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
    });
  });

  describe('when the dashboard is not built', () => {
    it('answers 503 with a page that says how to build it', async () => {
      await start();
      const response = await fetch(`${url}/dashboard`);
      expect(response.status).to.equal(503);
      expect(await response.text()).to.include('dashboard not built: run <code>npm run build:dashboard</code>');
    });

    it('picks the build up once it appears, without a restart', async () => {
      await start();
      expect((await fetch(`${url}/`)).status).to.equal(503);
      writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Commerce dashboard</title>');
      expect((await fetch(`${url}/`)).status).to.equal(200);
    });
  });
});
