import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { post, put, startTestApi, type ApiRequest, type TestApi } from '../api-spec';
import { defaultBreakerSettings } from '../../commands/sagas/circuit-breaker';
import { unitCount } from '../../domain/pricing';
import { sku } from '../../domain/shared';
import { OutageProvider } from '../dead-letters/outage-provider';
import { appendEvents } from '../projections/append-events';
import {
  couponDefined,
  couponRedeemed,
  couponReserved,
  orderPlaced,
  promotionDefined,
  promotionEnded,
} from '../projections/fixtures';
import {
  ensureDashboardBuilt,
  eventually,
  launchChromium,
  startDashboardServer,
  type DashboardServer,
} from './harness';

const artifacts = resolve(__dirname, '../../test-artifacts/dashboard');

const defineSku = (sku: string, name: string, amount: number): ApiRequest =>
  put(`/v1/skus/${sku}`, { name, unitPrice: { amount, currency: 'EUR' } });
const restock = (sku: string, quantity: number): ApiRequest => post(`/v1/skus/${sku}/restock`, { quantity });
const order = (orderId: string, customerId: string, sku = 'MUG-1'): ApiRequest =>
  post('/v1/orders', { orderId, customerId, lines: [{ sku, quantity: 1 }], payment: { token: 'tok_approve' } });

const send = async (api: TestApi, ...requests: ApiRequest[]): Promise<void> => {
  for (const request of requests) {
    const response = await api.request(request);
    expect(response.status, `${request.method} ${request.path}: ${JSON.stringify(response.body)}`).to.be.within(
      200,
      299,
    );
  }
};

interface OpenPage {
  readonly page: Page;
  /** uncaught exceptions and Content-Security-Policy violations seen by the page */
  readonly errors: string[];
}

const figure = (page: Page, key: string) => page.locator(`[data-figure="${key}"] .figure-value`);

const waitUntilLive = async (page: Page): Promise<void> => {
  await page.locator('#live-status[data-state="live"]').waitFor({ timeout: 10_000 });
};

const screenshot = async (page: Page, name: string): Promise<void> => {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
};

describe('the operators dashboard, in a real browser', function () {
  // one build (when needed), one Chromium and two engines for the whole suite
  this.timeout(60_000);
  let browser: Browser | undefined;
  let api: TestApi | undefined;
  let server: DashboardServer | undefined;
  const contexts: BrowserContext[] = [];
  // the simulator, made unreachable for chosen orders to dead-letter their payment for real
  const provider = new OutageProvider();

  const engine = (): TestApi => {
    if (api === undefined) throw new Error('the engine did not start');
    return api;
  };

  const open = async (url: string): Promise<OpenPage> => {
    if (browser === undefined) throw new Error('the browser did not start');
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Uncaught/i.test(message.text()))
        errors.push(message.text());
    });
    // the engine runs on a hand-moved clock; the page computes "the last 24 hours" from its own
    await page.clock.setFixedTime(engine().clock.now());
    await page.goto(url);
    return { page, errors };
  };

  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    await ensureDashboardBuilt();
    browser = await launchChromium();
    // the saga runner confirms and captures orders, so revenue and the payment steps appear
    api = await startTestApi(
      {},
      { sagas: { env: {}, provider, tickIntervalMs: null, pause: () => Promise.resolve() } },
    );
    await send(
      api,
      defineSku('MUG-1', 'Mug', 1250),
      restock('MUG-1', 50),
      defineSku('TEE-1', 'T-shirt', 2000),
      restock('TEE-1', 3),
      order('o-1', 'alice'),
      order('o-2', 'bob'),
    );
    server = await startDashboardServer(api);
  });

  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.close();
    await api?.close();
  });

  describe('on a server without API keys', () => {
    it('shows the live figures, the charts and the latest orders without asking for a key', async () => {
      const { page, errors } = await open(`${server?.url ?? ''}/`);
      await waitUntilLive(page);
      await eventually(async () => {
        expect(await figure(page, 'orders-placed').textContent()).to.equal('2');
      });
      await eventually(async () => {
        expect(await figure(page, 'revenue').textContent()).to.equal('€25.00');
      });
      expect(await page.locator('#key-panel').isHidden()).to.equal(true);
      expect(await page.locator('canvas').count()).to.equal(2);
      const latest = await page.getByRole('table', { name: 'Latest orders' }).textContent();
      expect(latest).to.include('o-1').and.include('o-2');
      const health = await page.getByRole('table', { name: 'Projection health' }).textContent();
      expect(health).to.include('orders').and.include('v1');
      await screenshot(page, 'overview');

      // a phone: the layout reflows; only tables scroll sideways, inside their own focusable regions
      await page.setViewportSize({ width: 390, height: 844 });
      await eventually(async () => {
        expect(await page.evaluate<number>('document.documentElement.scrollWidth')).to.be.at.most(390);
      });
      await screenshot(page, 'overview-narrow');
      expect(errors).to.deep.equal([]);
    });

    it('updates the figures and the latest orders live when orders are placed, without reloading', async () => {
      const { page, errors } = await open(`${server?.url ?? ''}/dashboard`);
      await waitUntilLive(page);
      await eventually(async () => {
        expect(await figure(page, 'orders-placed').textContent()).to.equal('2');
      });
      await page.evaluate('window.sameDocument = true');

      await send(engine(), order('o-3', 'carol'), order('o-4', 'bob'), order('o-5', 'alice'));

      await eventually(async () => {
        expect(await figure(page, 'orders-placed').textContent()).to.equal('5');
        expect(await figure(page, 'revenue').textContent()).to.equal('€62.50');
        expect(await page.getByRole('table', { name: 'Latest orders' }).textContent()).to.include('o-5');
      });
      expect(await page.evaluate('window.sameDocument')).to.equal(true);
      expect(errors).to.deep.equal([]);
    });

    it('lists orders with filters, and adds a new order to the open list live', async () => {
      const { page, errors } = await open(`${server?.url ?? ''}/#/orders`);
      await waitUntilLive(page);
      await page.getByRole('table', { name: /^Orders, newest first/ }).waitFor();
      await page.evaluate('window.sameDocument = true');

      await page.getByLabel('Customer').fill('bob');
      await page.getByRole('button', { name: 'Apply' }).click();
      await eventually(async () => {
        const customers = await page.locator('table tbody tr td:nth-child(3)').allTextContents();
        expect(customers).to.have.length.greaterThan(0);
        expect(new Set(customers)).to.deep.equal(new Set(['bob']));
      });
      expect(page.url()).to.include('#/orders?customerId=bob');

      await send(engine(), order('o-6', 'bob'));
      await eventually(async () => {
        const ids = await page.locator('table tbody tr td:nth-child(1)').allTextContents();
        expect(ids[0]).to.equal('o-6');
      });
      expect(await page.evaluate('window.sameDocument')).to.equal(true);
      await screenshot(page, 'orders');
      expect(errors).to.deep.equal([]);
    });

    it("reaches the orders table with the keyboard and opens an order's timeline with Enter", async () => {
      const { page, errors } = await open(`${server?.url ?? ''}/#/orders`);
      await page.locator('table tbody a').first().waitFor();
      let inTable = false;
      for (let presses = 0; presses < 40 && !inTable; presses++) {
        await page.keyboard.press('Tab');
        inTable = await page.evaluate<boolean>(
          "document.activeElement instanceof HTMLAnchorElement && document.activeElement.closest('tbody') !== null",
        );
      }
      expect(inTable, 'Tab never reached a link in the orders table').to.equal(true);
      expect(await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle')).to.equal('solid');
      const focused = await page.evaluate<string>('document.activeElement.textContent');

      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: `Order ${focused}` }).waitFor();
      expect(page.url()).to.include(`#/orders/${focused}`);
      const timeline = page.locator('ol.timeline > li');
      await eventually(async () => {
        const steps = await timeline.allTextContents();
        expect(steps.join('\n')).to.include('Order placed').and.include('Payment').and.include('Stock');
        expect(steps[steps.length - 1]).to.include('read model is at position');
      });
      expect(await page.getByRole('region', { name: 'Payment', exact: true }).textContent()).to.include('Captured');
      // focus followed the navigation to the new page's heading
      expect(await page.evaluate('document.activeElement?.tagName')).to.equal('H1');
      await screenshot(page, 'order');
      expect(errors).to.deep.equal([]);
    });

    it('highlights the SKUs running low on stock', async () => {
      const { page, errors } = await open(`${server?.url ?? ''}/#/stock`);
      const row = page.locator('table tbody tr', { hasText: 'TEE-1' });
      await row.waitFor();
      expect(await row.getAttribute('class')).to.include('low');
      expect(await row.textContent()).to.include('Low stock');
      const mug = page.locator('table tbody tr', { hasText: 'MUG-1' });
      expect(await mug.getAttribute('class')).to.equal(null);
      await screenshot(page, 'stock');
      expect(errors).to.deep.equal([]);
    });

    it('marks a projection whose blue/green rebuild is running', async () => {
      const { page, errors } = await open(`${server?.url ?? ''}/`);
      // the engine's real answer, with a rebuild of the first projection added
      await page.route('**/v1/projections', async (route) => {
        const response = await route.fetch();
        const body = (await response.json()) as { projections: Record<string, unknown>[] };
        const [first, ...rest] = body.projections;
        await route.fulfill({
          response,
          json: { ...body, projections: [{ ...first, rebuilding: { version: 2, percent: 40 } }, ...rest] },
        });
      });
      await page.reload();
      const health = page.getByRole('table', { name: 'Projection health' });
      await health.getByText('Rebuild in progress to v2, 40 %').waitFor();
      expect(await health.getByText('Up to date').count()).to.be.above(0);
      expect(errors).to.deep.equal([]);
    });

    it('lists a real dead letter and retries it from the page, after which the order is paid', async () => {
      // the provider is unreachable for this order: the runner gives up on its authorization and dead-letters it
      provider.down.add('o-dl');
      await send(engine(), order('o-dl', 'dave'));
      await engine().engine.sagas?.idle(10_000);
      const [letter] = await engine().engine.deadLetters.list();
      expect(letter).to.deep.include({ consumer: 'saga-runner:dispatch', key: 'saga-fulfilment-o-dl' });
      const id = letter?.id ?? -1;

      const { page, errors } = await open(`${server?.url ?? ''}/#/dead-letters`);
      const table = page.getByRole('table', { name: 'Dead letters', exact: true });
      await table.getByText('saga-fulfilment-o-dl', { exact: true }).waitFor();
      expect(await table.textContent()).to.include('ECONNREFUSED');
      await screenshot(page, 'dead-letters');

      provider.down.delete('o-dl');
      await page.getByRole('button', { name: `Retry dead letter ${id}` }).click();
      await page.getByRole('status').getByText(`Dead letter ${id} was handed back to saga-runner:dispatch.`).waitFor();
      await page.getByText('No dead letters: every consumer is keeping up.').waitFor();
      expect(await engine().engine.deadLetters.list()).to.deep.equal([]);
      await engine().engine.sagas?.idle(10_000);
      const payment = (await engine().store.readStream('payment-o-dl')).map((e) => e.type).join(' ');
      expect(payment)
        .to.match(/PaymentAuthorized/)
        .and.match(/PaymentCaptured/);
      expect(errors).to.deep.equal([]);
    });

    it('discards a dead letter from the page once the operator confirms', async () => {
      provider.down.add('o-dl-2');
      await send(engine(), order('o-dl-2', 'erin'));
      await engine().engine.sagas?.idle(10_000);
      const id = (await engine().engine.deadLetters.list({ key: 'saga-fulfilment-o-dl-2' }))[0]?.id ?? -1;

      const { page, errors } = await open(`${server?.url ?? ''}/#/dead-letters`);
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.accept();
      });
      await page.getByRole('button', { name: `Discard dead letter ${id}` }).click();
      await page.getByRole('status').getByText(`Dead letter ${id} was discarded.`).waitFor();
      expect(dialogs).to.deep.equal([`Discard dead letter ${id} for good? Its input will never be handled.`]);
      expect(await engine().engine.deadLetters.get(id)).to.equal(undefined);
      provider.down.delete('o-dl-2');
      expect(errors).to.deep.equal([]);
    });

    it('shows the dead letters, or says plainly that this server has none to show', async () => {
      const { page, errors } = await open(`${server?.url ?? ''}/#/dead-letters`);
      const answer = page
        .getByText('Dead-letter handling is not available on this server')
        .or(page.getByRole('table', { name: 'Dead letters', exact: true }));
      await answer.first().waitFor();
      expect(await page.locator('.note.error').count()).to.equal(0);
      expect(errors).to.deep.equal([]);
    });
  });

  describe('with promotions and coupons', () => {
    let priced: TestApi | undefined;

    /** Orders the pricing centre priced: written as the order centre records them, with their breakdown. */
    const pricedOrder = (orderId: string, amount: number) =>
      orderPlaced({
        orderId,
        promotions: [{ promotionId: 'spring', amount }],
        at: '2026-03-01T09:30:00.000Z',
      });

    before(async () => {
      priced = await startTestApi();
      await appendEvents(
        priced.store,
        promotionDefined({ promotionId: 'spring', name: 'Spring sale', validFrom: '2026-03-01T00:00:00Z' }),
        promotionDefined({
          promotionId: 'mugs',
          name: 'Mug bundle',
          validFrom: '2026-03-01T00:00:00Z',
          rule: { kind: 'BuyNGetMFree', sku: sku('MUG-1'), buy: unitCount(2), free: unitCount(1) },
          requiresCoupon: true,
        }),
        promotionDefined({ promotionId: 'easter', name: 'Easter', validFrom: '2026-04-01T00:00:00Z' }),
        promotionDefined({ promotionId: 'winter', name: 'Winter', validFrom: '2026-01-01T00:00:00Z' }),
        promotionEnded({ promotionId: 'winter', at: '2026-02-28T00:00:00Z' }),
        couponDefined({ code: 'MUGS-3', promotionId: 'mugs', totalLimit: 3 }),
        couponReserved({ code: 'MUGS-3', orderId: 'c-o-1', customer: 'alice' }),
        couponRedeemed({ code: 'MUGS-3', orderId: 'c-o-1' }),
        couponReserved({ code: 'MUGS-3', orderId: 'c-o-2', customer: 'bob' }),
        couponDefined({ code: 'SPRING-10', promotionId: 'spring', totalLimit: 500 }),
        pricedOrder('p-o-1', 250),
      );
    });

    after(async () => {
      await priced?.close();
    });

    it('shows the active promotions with their rule and discount, and each coupon’s use, updated live', async () => {
      const api = priced;
      if (api === undefined) throw new Error('the engine did not start');
      const { page, errors } = await open(`${api.url}/`);
      await waitUntilLive(page);
      const promotions = page.getByRole('table', { name: 'Active promotions' });
      const row = (name: string) => promotions.locator('tbody tr', { hasText: name });
      await eventually(async () => {
        expect(await row('Spring sale').locator('td').allTextContents()).to.deep.equal([
          'Spring sale',
          '10 % off the order',
          '€2.50',
          '1',
        ]);
      });
      expect(await row('Mug bundle').locator('td').allTextContents()).to.deep.equal([
        'Mug bundle',
        'Buy 2 get 1 free: MUG-1',
        '€0.00',
        '0',
      ]);
      // scheduled and ended promotions are not active at the page's time
      expect(await promotions.textContent())
        .not.to.include('Easter')
        .and.not.to.include('Winter');

      const coupons = page.getByRole('table', { name: 'Coupon use' });
      const mugs = coupons.locator('tbody tr', { hasText: 'MUGS-3' });
      expect(await mugs.locator('td').allTextContents()).to.deep.equal(['MUGS-3', '1 / 3', '1', '1']);
      expect(await coupons.locator('tbody tr', { hasText: 'SPRING-10' }).locator('td').allTextContents()).to.deep.equal(
        ['SPRING-10', '0 / 500', '0', '500'],
      );
      await page.evaluate('window.sameDocument = true');

      await appendEvents(
        api.store,
        pricedOrder('p-o-2', 120),
        couponRedeemed({ code: 'MUGS-3', orderId: 'c-o-2' }),
        couponReserved({ code: 'MUGS-3', orderId: 'c-o-3', customer: 'carol' }),
      );
      await eventually(async () => {
        expect(await row('Spring sale').locator('td').allTextContents()).to.deep.equal([
          'Spring sale',
          '10 % off the order',
          '€3.70',
          '2',
        ]);
        expect(await mugs.locator('td').allTextContents()).to.deep.equal(['MUGS-3', '2 / 3', '1', '0']);
      });
      // a coupon with nothing left is marked, in words as well as colour (the Left column says 0)
      expect(await mugs.getAttribute('class')).to.include('low');
      expect(await page.evaluate('window.sameDocument')).to.equal(true);
      await screenshot(page, 'promotions');
      expect(errors).to.deep.equal([]);
    });
  });

  describe('with two channels', () => {
    let channelled: TestApi | undefined;
    let dir: string | undefined;

    const channelOrder = (orderId: string, channel: string, quantity = 1): ApiRequest =>
      post('/v1/orders', {
        orderId,
        customerId: `cust-${orderId}`,
        lines: [{ sku: 'MUG-1', quantity }],
        payment: { token: 'tok_approve' },
        channel,
      });

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'dashboard-channels-'));
      const file = join(dir, 'channels.json');
      const profile = (name: string) => ({
        name,
        tradeTypes: ['standard'],
        currencies: [],
        paymentTimeoutMs: 60_000,
        reservationTtlMs: 120_000,
        promotions: 'all',
        partialRefunds: true,
        refundWindowDays: null,
      });
      writeFileSync(file, JSON.stringify({ mall: profile('Brand mall'), pos: profile('Point of sale') }));
      channelled = await startTestApi({ CHANNELS: file });
      await send(
        channelled,
        defineSku('MUG-1', 'Mug', 1000),
        restock('MUG-1', 50),
        channelOrder('m-1', 'mall'),
        channelOrder('m-2', 'mall', 2),
        channelOrder('p-1', 'pos', 3),
      );
    });

    after(async () => {
      await channelled?.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    it("filters the overview's charts and latest orders by the channel chosen, and keeps it in the link", async () => {
      const api = channelled;
      if (api === undefined) throw new Error('the engine did not start');
      const { page, errors } = await open(`${api.url}/`);
      await waitUntilLive(page);
      const select = page.getByLabel('Channel', { exact: true });
      await eventually(async () => {
        expect(await select.locator('option').allTextContents()).to.deep.equal(['All channels', 'mall', 'pos']);
      });
      await eventually(async () => {
        expect(await figure(page, 'orders-placed').textContent()).to.equal('3');
      });
      await select.selectOption('pos');
      expect(await page.evaluate('location.hash')).to.equal('#/?channel=pos');
      await eventually(async () => {
        expect(await figure(page, 'orders-placed').textContent()).to.equal('1');
        const latest = await page.getByRole('table', { name: 'Latest orders' }).textContent();
        expect(latest).to.include('p-1').and.not.include('m-1');
      });
      // the numbers behind the charts sit in closed <details>
      const hours = page.getByRole('table', { name: 'Orders by hour', includeHidden: true });
      expect(await hours.locator('thead').textContent()).to.include('Placed through pos');
      expect(
        await page.getByRole('table', { name: 'Order value by day through pos', includeHidden: true }).textContent(),
      ).to.include('€30.00');
      expect(await page.getByRole('link', { name: 'All orders →' }).getAttribute('href')).to.equal(
        '#/orders?channel=pos',
      );
      await screenshot(page, 'overview-channel');
      // a shared link opens on the same channel
      const shared = await open(`${api.url}/#/?channel=mall`);
      await eventually(async () => {
        expect(await figure(shared.page, 'orders-placed').textContent()).to.equal('2');
      });
      expect(await shared.page.getByLabel('Channel', { exact: true }).inputValue()).to.equal('mall');
      expect([...errors, ...shared.errors]).to.deep.equal([]);
    });

    it('lists the orders of one channel, with the channel shown on each', async () => {
      const api = channelled;
      if (api === undefined) throw new Error('the engine did not start');
      const { page, errors } = await open(`${api.url}/#/orders?channel=mall`);
      await waitUntilLive(page);
      const table = page.getByRole('table', { name: /^Orders/ });
      await eventually(async () => {
        const text = await table.textContent();
        expect(text).to.include('m-1').and.include('m-2').and.not.include('p-1');
      });
      expect(await table.locator('thead').textContent()).to.include('Channel');
      await page.getByLabel('Channel', { exact: true }).selectOption('pos');
      await page.getByRole('button', { name: 'Apply' }).click();
      await eventually(async () => {
        const text = await table.textContent();
        expect(text).to.include('p-1').and.not.include('m-1');
      });
      expect(await page.evaluate('location.hash')).to.equal('#/orders?channel=pos');
      expect(errors).to.deep.equal([]);
    });
  });

  describe('on a server with flow control', () => {
    let flowing: TestApi | undefined;

    before(async () => {
      flowing = await startTestApi(
        { FLOW_CONTROL: 'on' },
        {
          sagas: {
            env: {},
            tickIntervalMs: null,
            pause: () => Promise.resolve(),
            settings: { breaker: defaultBreakerSettings },
          },
        },
      );
      await send(
        flowing,
        defineSku('HOT-1', 'Flash sale', 999),
        restock('HOT-1', 10),
        defineSku('COOL-1', 'Everyday', 500),
        restock('COOL-1', 10),
      );
      await send(flowing, put('/v1/admin/flow-rules', { hotSku: { perSecond: 1, burst: 1 } }));
    });

    after(async () => {
      await flowing?.close();
    });

    it('shows admitted and refused requests by rule, and the payment breaker closed', async () => {
      const api = flowing;
      if (api === undefined) throw new Error('the engine did not start');
      const { page, errors } = await open(`${api.url}/`);
      await waitUntilLive(page);
      const card = page.getByRole('region', { name: 'Flow control' });
      await card.locator('[data-flow="breaker"]').getByText('Closed').waitFor();
      await send(api, order('flow-1', 'alice', 'HOT-1'));
      expect((await api.request(order('flow-2', 'bob', 'HOT-1'))).status).to.equal(429);
      // the next refresh (an order placed) reads the totals again
      await send(api, order('flow-3', 'carol', 'COOL-1'));
      const refusals = card.getByRole('table', { name: 'Refusals by rule since the server started' });
      await eventually(async () => {
        expect(await refusals.textContent()).to.include('hotSku');
      });
      await screenshot(page, 'flow-control');
      expect(errors).to.deep.equal([]);
    });
  });

  describe('on a server with API keys', () => {
    let keyed: TestApi | undefined;
    let keyedServer: DashboardServer | undefined;
    const keys = 'reader-key-0001=read;writer-key-0001=orders:write;admin-key-0001=admin';

    before(async () => {
      keyed = await startTestApi({ API_KEYS: keys });
      keyedServer = await startDashboardServer(keyed);
    });

    after(async () => {
      await keyedServer?.close();
      await keyed?.close();
    });

    it('asks for a key, explains a wrong key (401) and a key without the read scope (403), then shows the data', async () => {
      const { page, errors } = await open(`${keyedServer?.url ?? ''}/`);
      const message = page.locator('#auth-message');
      await eventually(async () => {
        expect(await message.textContent()).to.include('requires an API key (401');
      });
      expect(await page.locator('#key-panel').isVisible()).to.equal(true);

      await page.getByLabel('API key with the read scope').fill('not-a-valid-key');
      await page.getByRole('button', { name: 'Use this key' }).click();
      await eventually(async () => {
        expect(await message.textContent()).to.include('was not accepted (401');
      });

      await page.getByLabel('API key with the read scope').fill('writer-key-0001');
      await page.getByRole('button', { name: 'Use this key' }).click();
      await eventually(async () => {
        expect(await message.textContent()).to.include('lacks the "read" scope (403');
      });
      await screenshot(page, 'key-403');

      await page.getByLabel('API key with the read scope').fill('reader-key-0001');
      await page.getByRole('button', { name: 'Use this key' }).click();
      await waitUntilLive(page);
      await page.locator('[data-figure="orders-placed"] .figure-value', { hasText: '0' }).waitFor();
      expect(await page.locator('#key-panel').isHidden()).to.equal(true);
      expect(await page.evaluate("sessionStorage.getItem('commerce-dashboard.api-key')")).to.equal('reader-key-0001');
      expect(page.url()).not.to.include('reader-key-0001');
      expect(errors).to.deep.equal([]);
    });

    it('says a key without the admin scope may not see the dead letters, and shows them with an admin key', async () => {
      const { page, errors } = await open(`${keyedServer?.url ?? ''}/#/dead-letters`);
      await page.getByLabel('API key with the read scope').fill('reader-key-0001');
      await page.getByRole('button', { name: 'Use this key' }).click();
      await page.getByText('This API key may not list dead letters').waitFor();
      expect(await page.getByText('lacks the "admin" scope').count()).to.equal(1);

      await page.evaluate("sessionStorage.setItem('commerce-dashboard.api-key', 'admin-key-0001')");
      await page.reload();
      await page.getByText('No dead letters: every consumer is keeping up.').waitFor();
      expect(errors).to.deep.equal([]);
    });
  });
});
