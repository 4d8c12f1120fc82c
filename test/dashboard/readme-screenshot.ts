/**
 * Renders `docs/dashboard.png` for the README: nine days of made-up trade on an embedded engine, then the
 * overview at 1280×800. Run with `npx tsx test/dashboard/readme-screenshot.ts` (needs Chromium, like the e2e test).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { post, put, startTestApi, type ApiRequest, type TestApi } from '../api-spec';
import { ensureDashboardBuilt, launchChromium, startDashboardServer } from './harness';

const HOUR = 3_600_000;

/** Deterministic numbers in [0, 1), so the picture only changes when the page does. */
const seeded = (seed: number) => {
  let state = seed;
  return (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
};

const catalogue = [
  { sku: 'MUG-1', name: 'Mug', amount: 1250, stock: 2000 },
  { sku: 'TEE-1', name: 'T-shirt', amount: 2000, stock: 2000 },
  { sku: 'CAP-1', name: 'Cap', amount: 1500, stock: 2000 },
  { sku: 'BAG-1', name: 'Tote bag', amount: 990, stock: 2000 },
  { sku: 'PST-1', name: 'Poster', amount: 750, stock: 2000 },
] as const;

const must = async (api: TestApi, request: ApiRequest): Promise<Record<string, unknown>> => {
  const response = await api.request(request);
  if (response.status >= 300) throw new Error(`${request.path}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
};

const trade = async (api: TestApi): Promise<void> => {
  const random = seeded(42);
  for (const item of catalogue) {
    await must(
      api,
      put(`/v1/skus/${item.sku}`, { name: item.name, unitPrice: { amount: item.amount, currency: 'EUR' } }),
    );
    await must(api, post(`/v1/skus/${item.sku}/restock`, { quantity: item.stock }));
  }
  // SKUs nobody buys in this story, left low so the stock page has something to flag
  await must(api, put('/v1/skus/SCF-1', { name: 'Scarf', unitPrice: { amount: 2400, currency: 'EUR' } }));
  await must(api, post('/v1/skus/SCF-1/restock', { quantity: 3 }));
  const confirmed: string[] = [];
  let n = 0;
  // nine days, hour by hour, busier in the afternoon and growing a little every day
  for (let hour = 0; hour < 8 * 24 + 5; hour++) {
    const utcHour = (10 + hour) % 24;
    const growth = 0.7 + hour / (9 * 24);
    const busy = (utcHour >= 8 && utcHour <= 21 ? 2 + 3 * Math.sin(((utcHour - 8) / 13) * Math.PI) : 0.4) * growth;
    const orders = Math.round(busy * (0.6 + random()));
    for (let i = 0; i < orders; i++) {
      api.clock.advance(Math.floor(HOUR / (orders + 1)));
      n++;
      const orderId = `ord-${String(1000 + n)}`;
      const lines = catalogue
        .filter(() => random() < 0.35)
        .slice(0, 3)
        .map((c) => ({ sku: c.sku, quantity: 1 + Math.floor(random() * 2) }));
      const token = random() < 0.06 ? 'tok_decline' : 'tok_approve';
      await must(
        api,
        post('/v1/orders', {
          orderId,
          customerId: `cust-${String(1 + Math.floor(random() * 40))}`,
          lines: lines.length > 0 ? lines : [{ sku: 'MUG-1', quantity: 1 }],
          payment: { token },
        }),
      );
      await api.engine.sagas?.idle(15_000);
      if (token === 'tok_approve') confirmed.push(orderId);
    }
    api.clock.advance(HOUR - Math.floor(HOUR / (orders + 1)) * orders);
    // now and then a customer sends something back
    const returned = confirmed[Math.floor(random() * confirmed.length)];
    if (returned !== undefined && random() < 0.3) {
      // an order the saga cancelled (stock ran out) answers 409, which is fine here
      await api.request(
        post(`/v1/orders/${returned}/refunds`, {
          amount: { amount: 500 + 100 * Math.floor(random() * 10), currency: 'EUR' },
          reason: 'arrived damaged',
        }),
      );
      await api.engine.sagas?.idle(15_000);
    }
  }
  // the last quarter of an hour is busy, so the live rate has something to show
  for (let i = 0; i < 6; i++) {
    api.clock.advance(110_000);
    n++;
    await must(
      api,
      post('/v1/orders', {
        orderId: `ord-${String(1000 + n)}`,
        customerId: `cust-${String(1 + i)}`,
        lines: [{ sku: catalogue[i % catalogue.length]?.sku ?? 'MUG-1', quantity: 1 + (i % 3) }],
        payment: { token: 'tok_approve' },
      }),
    );
    await api.engine.sagas?.idle(15_000);
  }
};

const main = async (): Promise<void> => {
  await ensureDashboardBuilt();
  const api = await startTestApi({}, { sagas: { env: {}, tickIntervalMs: null, pause: () => Promise.resolve() } });
  const server = await startDashboardServer(api);
  const browser = await launchChromium();
  try {
    await trade(api);
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    const page = await context.newPage();
    await page.clock.setFixedTime(api.clock.now());
    await page.goto(`${server.url}/`);
    await page.locator('#live-status[data-state="live"]').waitFor({ timeout: 10_000 });
    await page.locator('table tbody a').first().waitFor();
    const out = resolve(__dirname, '../../docs/dashboard.png');
    mkdirSync(resolve(out, '..'), { recursive: true });
    await page.screenshot({ path: out });
    console.log(`wrote ${out}`);
  } finally {
    await browser.close();
    await server.close();
    await api.close();
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
