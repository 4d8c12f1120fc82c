import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpJsonClient } from '../http-client';
import { startEngine, type EngineProcess } from './engine';
import {
  completedOrders,
  listByCustomer,
  runStep,
  setupCatalogue,
  type Catalogue,
  type StepResult,
  type Target,
} from './load';
import { int, ms, progress, row, sleep, type TableRow } from './report';

/**
 * Overload, flash sale and payment outage against the embedded engine with its default flow control (issue 18),
 * each next to the highest rate the same run held.
 */
export interface OverloadOptions {
  readonly quick: boolean;
}

export interface OverloadResult {
  readonly heldRate: number;
  readonly ladder: readonly { readonly rate: number; readonly held: boolean }[];
  readonly overload: {
    readonly rate: number;
    readonly step: Omit<StepResult, 'acceptedIds'>;
    /** orders finished per second over the step's second half */
    readonly goodput: number;
    /** accepted orders that did not finish (lost) or finished more than once (doubled): finished − accepted */
    readonly unfinished: number;
  };
  readonly flashSale: {
    readonly placements: number;
    readonly sendS: number;
    readonly byStatus: Readonly<Record<string, number>>;
    readonly sold: number;
    readonly oversold: number;
    readonly settleAfterLastS: number;
    readonly normalP99Alone: number;
    readonly normalP99During: number;
  };
  readonly outage: {
    readonly outageS: number;
    readonly breakerOpenAfterS: number | undefined;
    readonly accepted: number;
    readonly finished: number;
    readonly confirmed: number;
    readonly cancelled: number;
    readonly cancelReasons: Readonly<Record<string, number>>;
  };
}

const targetOf = (engine: EngineProcess): Target => ({ commandUrl: engine.url, readUrl: engine.url });

const withEngine = async <T>(name: string, env: Record<string, string>, run: (engine: EngineProcess) => Promise<T>) => {
  const dir = mkdtempSync(join(tmpdir(), `commerce-${name}-`));
  const engine = await startEngine({ name: 'serve', subcommand: 'serve', env: { DATA_DIR: dir, ...env }, logDir: dir });
  try {
    return await run(engine);
  } catch (error) {
    progress(`${name} failed; engine log tail:\n${engine.tail()}`);
    throw error;
  } finally {
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};

/** Status of each order, read back through the read API (bounded concurrency). */
const statusesOf = async (target: Target, ids: readonly string[]) => {
  const reads = new HttpJsonClient(target.readUrl, {}, 32);
  const statuses: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < ids.length) {
          const id = ids[next++] ?? '';
          const r = await reads.send('GET', `/v1/orders/${id}`);
          const status = typeof r.body.status === 'string' ? r.body.status : `HTTP ${r.status}`;
          statuses[status] = (statuses[status] ?? 0) + 1;
          const reason = r.body.cancellationReason ?? r.body.reason;
          if (status === 'Cancelled' && typeof reason === 'string') reasons[reason] = (reasons[reason] ?? 0) + 1;
        }
      }),
    );
  } finally {
    reads.close();
  }
  return { statuses, reasons };
};

/** Quick ladder: the highest of `rates` held before the first that is not. */
const highestHeld = async (target: Target, catalogue: Catalogue, rates: readonly number[], seconds: number) => {
  const ladder: { rate: number; held: boolean }[] = [];
  let held = 0;
  for (const rate of rates) {
    const step = await runStep(target, catalogue, {
      rate,
      durationS: seconds,
      drainTimeoutS: 20,
      label: `ladder ${rate}/s`,
    });
    ladder.push({ rate, held: step.held });
    progress(`overload: ladder ${rate}/s held=${step.held} finished ${int(step.completionRate)}/s`);
    if (!step.held) break;
    held = rate;
  }
  return { held, ladder };
};

const flashSale = async (target: Target, catalogue: Catalogue, normalRate: number, quick: boolean) => {
  const placements = quick ? 10_000 : 20_000;
  const units = 100;
  const sku = `${catalogue.run}-FLASH`;
  const customerId = `flash-${catalogue.run}`;
  const client = new HttpJsonClient(target.commandUrl, {}, 512);
  const reads = new HttpJsonClient(target.readUrl, {}, 8);
  try {
    await client.send('PUT', `/v1/skus/${sku}`, { name: 'Flash sale', unitPrice: { amount: 999, currency: 'EUR' } });
    await client.send('POST', `/v1/skus/${sku}/restock`, { quantity: units });
    const seconds = quick ? 5 : 10;
    progress(`flash sale: normal traffic alone at ${normalRate}/s for ${seconds} s`);
    const alone = await runStep(target, catalogue, { rate: normalRate, durationS: seconds, label: 'normal alone' });
    progress(`flash sale: ${placements} placements for ${sku} (${units} units) within 5 s beside normal traffic`);
    const byStatus: Record<string, number> = {};
    const started = performance.now();
    let lastAt = started;
    const burst = (async () => {
      const perMs = placements / 5_000;
      const inFlight = new Set<Promise<void>>();
      for (let i = 0; i < placements; i++) {
        while (i > (performance.now() - started) * perMs) await sleep(1);
        while (inFlight.size >= 512) await Promise.race(inFlight);
        const sent = client
          .send('POST', '/v1/orders', {
            orderId: `${sku}-${i}`,
            customerId,
            lines: [{ sku, quantity: 1 }],
            payment: { token: 'tok_approve' },
          })
          .then(
            (r) => {
              byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
            },
            () => {
              byStatus.error = (byStatus.error ?? 0) + 1;
            },
          )
          .finally(() => {
            inFlight.delete(sent);
          });
        inFlight.add(sent);
      }
      lastAt = performance.now();
      await Promise.all(inFlight);
    })();
    const during = await runStep(target, catalogue, {
      rate: normalRate,
      durationS: seconds,
      label: 'normal during flash sale',
    });
    await burst;
    // settled: every accepted flash order is confirmed (a sale) or cancelled, read back through the read API
    const accepted = byStatus['202'] ?? 0;
    let sold = 0;
    let settleAfterLastS = Number.NaN;
    const deadline = performance.now() + 60_000;
    while (performance.now() < deadline) {
      const docs = await listByCustomer(reads, customerId);
      sold = docs.filter((d) => d.status === 'Confirmed').length;
      if (docs.filter((d) => d.status === 'Confirmed' || d.status === 'Cancelled').length >= accepted) {
        settleAfterLastS = (performance.now() - lastAt) / 1000;
        break;
      }
      await sleep(100);
    }
    return {
      placements,
      sendS: (lastAt - started) / 1000,
      byStatus,
      sold,
      oversold: Math.max(0, sold - units),
      settleAfterLastS,
      normalP99Alone: alone.acceptedMs.p99,
      normalP99During: during.acceptedMs.p99,
    };
  } finally {
    client.close();
    reads.close();
  }
};

export const runOverload = async (o: OverloadOptions): Promise<OverloadResult> => {
  const rates = [100, 200, 300, 400, 500, 650, 800, 1_000, 1_250, 1_500];
  const stepS = o.quick ? 8 : 15;
  const base = await withEngine('overload', {}, async (engine) => {
    const target = targetOf(engine);
    const catalogue = await setupCatalogue(target, `ov${Date.now().toString(36)}`);
    const { held, ladder } = await highestHeld(target, catalogue, rates, stepS);
    const heldRate = Math.max(held, 50);
    const rate = 3 * heldRate;
    const seconds = o.quick ? 20 : 60;
    progress(`overload: open loop at ${rate}/s (3 × ${heldRate}) for ${seconds} s`);
    const before = await completedOrders(new HttpJsonClient(engine.url, {}, 2));
    const step = await runStep(target, catalogue, {
      rate,
      durationS: seconds,
      drainTimeoutS: 60,
      label: `overload ${rate}/s`,
    });
    const finished = (await completedOrders(new HttpJsonClient(engine.url, {}, 2))) - before;
    const { acceptedIds: _ids, ...figures } = step;
    const overload = { rate, step: figures, goodput: step.completionRate, unfinished: finished - step.accepted };
    const flash = await flashSale(target, catalogue, Math.max(25, Math.round(heldRate / 2)), o.quick);
    return { heldRate, ladder, overload, flashSale: flash };
  });

  const outageS = o.quick ? 15 : 30;
  const afterS = 8;
  const outage = await withEngine('outage', { SIM_OUTAGE: `${outageS}s@${afterS}s` }, async (engine) => {
    const target = targetOf(engine);
    const started = performance.now();
    const catalogue = await setupCatalogue(target, `out${Date.now().toString(36)}`);
    const status = new HttpJsonClient(engine.url, {}, 2);
    let openAt: number | undefined;
    const watching = { on: true };
    const watcher = (async () => {
      while (watching.on) {
        const r = await status.send('GET', '/v1/flow').catch(() => undefined);
        if (openAt === undefined && r?.body.breaker === 'open') openAt = performance.now();
        await sleep(100);
      }
    })();
    const rate = Math.max(25, Math.round(base.heldRate / 2));
    progress(`outage: ${rate}/s for ${afterS + outageS + 8} s, the provider down ${outageS} s from ${afterS} s`);
    const step = await runStep(target, catalogue, {
      rate,
      durationS: afterS + outageS + 8,
      drainTimeoutS: 120,
      label: 'payment outage',
    });
    watching.on = false;
    await watcher;
    status.close();
    const { statuses, reasons } = await statusesOf(target, step.acceptedIds);
    // the simulator's clock starts when the sagas worker starts, a moment before the engine answers
    const outageStarted = started + afterS * 1000;
    return {
      outageS,
      breakerOpenAfterS: openAt === undefined ? undefined : (openAt - outageStarted) / 1000,
      accepted: step.accepted,
      finished: (statuses.Confirmed ?? 0) + (statuses.Cancelled ?? 0),
      confirmed: statuses.Confirmed ?? 0,
      cancelled: statuses.Cancelled ?? 0,
      cancelReasons: reasons,
    };
  });
  return { ...base, outage };
};

const statusText = (byStatus: Readonly<Record<string, number>>): string =>
  Object.entries(byStatus)
    .map(([status, n]) => `${status}: ${int(n)}`)
    .join(', ');

export const overloadRows = (r: OverloadResult): TableRow[] => {
  const o = r.overload;
  const f = r.flashSale;
  const x = r.outage;
  const held = r.heldRate;
  return [
    row('overload: highest rate held (baseline)', `${int(held)} orders/s`),
    row(`overload: goodput at 3× (${int(o.rate)}/s offered)`, `${int(o.goodput)} orders/s`, {
      goal: `≥ 90 % of ${int(held)}`,
      met: o.goodput >= 0.9 * held,
    }),
    row('overload: accepted orders, command p99', ms(o.step.acceptedMs.p99), {
      goal: '≤ 50 ms',
      met: o.step.acceptedMs.p99 <= 50,
    }),
    row('overload: completion p99 (sampled)', ms(o.step.completionMs.p99), {
      goal: '≤ 1 s',
      met: o.step.completionMs.p99 <= 1_000,
    }),
    row('overload: answers', statusText(o.step.byStatus)),
    row('overload: refusals without Retry-After', int(o.step.refusalsWithoutRetryAfter), {
      goal: '0',
      met: o.step.refusalsWithoutRetryAfter === 0,
    }),
    row('overload: accepted but unfinished (−) or doubled (+)', int(o.unfinished), {
      goal: '0',
      met: o.unfinished === 0 && o.step.drained,
    }),
    row(`flash sale: ${int(f.placements)} placements for 100 units, sent in`, `${f.sendS.toFixed(1)} s`),
    row('flash sale: answers', statusText(f.byStatus)),
    row('flash sale: sold / oversold', `${f.sold} / ${f.oversold}`, {
      goal: '100 / 0',
      met: f.sold === 100 && f.oversold === 0,
    }),
    row('flash sale: settled after the last placement', `${f.settleAfterLastS.toFixed(1)} s`, {
      goal: '≤ 2 s',
      met: f.settleAfterLastS <= 2,
    }),
    row('flash sale: other SKUs, command p99 during / alone', `${ms(f.normalP99During)} / ${ms(f.normalP99Alone)}`, {
      goal: '≤ 2×',
      met: f.normalP99During <= 2 * Math.max(f.normalP99Alone, 1),
    }),
    row(
      `payment outage ${x.outageS} s: breaker open after the outage began`,
      x.breakerOpenAfterS === undefined ? 'never seen open' : `${x.breakerOpenAfterS.toFixed(1)} s`,
      { goal: '≤ 2 s', met: x.breakerOpenAfterS !== undefined && x.breakerOpenAfterS <= 2 },
    ),
    row(
      'payment outage: accepted orders finished (confirmed + cancelled)',
      `${int(x.finished)} of ${int(x.accepted)} (${int(x.confirmed)} confirmed, ${int(x.cancelled)} cancelled ${JSON.stringify(x.cancelReasons)})`,
      { goal: 'all', met: x.finished === x.accepted },
    ),
  ];
};
