import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../app/config';
import { startEmbeddedEngine } from '../../app/runtime/engine';
import { createLogger } from '../../infra/observability/logger';
import { createMetrics } from '../../infra/observability/metrics';
import { ManualClock } from '../../ports/clock';

const profile = (partialRefunds: boolean) => `
  name: Point of sale
  tradeTypes: [standard]
  currencies: [EUR]
  paymentTimeoutMs: 120000
  reservationTtlMs: 300000
  promotions: all
  partialRefunds: ${partialRefunds}
  refundWindowDays: null`;

describe('the CHANNELS file seeds the channel book when the engine starts', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'channels-seed-'));
    file = join(dir, 'channels.yaml');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the engine on the same data folder, runs `during`, stops it; answers the book's stream. */
  const restart = async (during?: (url: string) => Promise<void>) => {
    const config = loadConfig({ DATA_DIR: dir, PORT: '0', FLOW_CONTROL: 'off', CHANNELS: file });
    const engine = await startEmbeddedEngine(config, createLogger('silent'), {
      clock: new ManualClock('2026-03-01T10:00:00.000Z'),
      metrics: createMetrics(false),
      sagas: false,
    });
    try {
      await during?.(engine.url);
      return (await engine.store.readStream('channels-default')).map((e) => e.type);
    } finally {
      await engine.stop(1_000);
    }
  };

  it('defines each channel once: a restart with the same file appends nothing', async () => {
    writeFileSync(file, `mall:${profile(true)}\npos:${profile(false)}\n`);
    expect(await restart()).to.deep.equal(['ChannelDefined.v1', 'ChannelDefined.v1']);
    expect(await restart()).to.deep.equal(['ChannelDefined.v1', 'ChannelDefined.v1']);
  });

  it('defines a channel again when the file changed it, and only that one', async () => {
    writeFileSync(file, `mall:${profile(true)}\npos:${profile(false)}\n`);
    await restart();
    writeFileSync(file, `mall:${profile(true)}\npos:${profile(true)}\n`);
    expect(await restart()).to.have.length(3);
    expect(await restart()).to.have.length(3);
  });

  it("sets back at the next start a profile an admin changed since, as the file is the deployment's word", async () => {
    writeFileSync(file, `pos:${profile(false)}\n`);
    await restart(async (url) => {
      const response = await fetch(`${url}/v1/admin/channels/pos`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'Point of sale',
          tradeTypes: ['standard'],
          currencies: ['EUR'],
          paymentTimeoutMs: 120000,
          reservationTtlMs: 300000,
          promotions: 'all',
          partialRefunds: true,
          refundWindowDays: null,
        }),
      });
      expect(response.status).to.equal(200);
    });
    expect(await restart()).to.have.length(3);
    const partialRefunds = await restart(async (url) => {
      const body = (await fetch(`${url}/v1/admin/channels/pos`).then((r) => r.json())) as { partialRefunds: boolean };
      expect(body.partialRefunds).to.equal(false);
    });
    expect(partialRefunds).to.have.length(3);
  });

  it('refuses to start on a file that breaks a profile rule, naming the channel and the field', () => {
    writeFileSync(file, `pos:${profile(false).replace('reservationTtlMs: 300000', 'reservationTtlMs: 60000')}\n`);
    expect(() => loadConfig({ DATA_DIR: dir, CHANNELS: file }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/CHANNELS .*pos: reservationTtlMs \(60000\) must exceed paymentTimeoutMs/);
  });

  it('refuses to start on a malformed profile, naming the field', () => {
    writeFileSync(file, `pos:${profile(false).replace('[standard]', '[barter]')}\n`);
    expect(() => loadConfig({ DATA_DIR: dir, CHANNELS: file }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/pos: tradeTypes/);
  });
});

describe('API_KEYS naming channels', () => {
  const keysOf = (raw: string) => loadConfig({ API_KEYS: raw }).apiKeys;

  it('reads the channels after "@", separated by "|"', () => {
    const [one, many, any] = keysOf(
      'key-one-1=orders:write@pos;key-many-1=orders:write,read@mall|app;key-any-12=admin',
    );
    expect([...(one?.channels ?? [])]).to.deep.equal(['pos']);
    expect([...(many?.scopes ?? [])]).to.deep.equal(['orders:write', 'read']);
    expect([...(many?.channels ?? [])]).to.deep.equal(['mall', 'app']);
    expect(any?.channels).to.equal(undefined);
  });

  it('refuses an empty channel list or an invalid channel id, naming the entry', () => {
    expect(() => keysOf('key-one-1=orders:write@')).to.throw(ConfigError, /entry 1 .*no channels after "@"/);
    expect(() => keysOf('key-one-1=orders:write@po s')).to.throw(ConfigError, /invalid channel id/);
  });
});
