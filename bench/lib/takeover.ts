import { progress, sleep } from './report';
import { startEngine, type EngineProcess } from './engine';

/**
 * Issue 17: how long the distributed engine stalls when one process of a kind is SIGKILLed while a twin runs. Two
 * relays (one active), two projectors and two saga runners share the load; a probe order is placed every 100 ms. After
 * a kill, the takeover time is how long until every probe placed in the second after the kill is Confirmed and visible
 * in the read API: probes spread over the partitions, so the last of them waits for the victim's partitions (or lease,
 * or unfinished saga steps) to be taken over. Each kind is killed `rounds` times, its victim replaced after each.
 */
export interface TakeoverResult {
  readonly kind: string;
  readonly samplesMs: readonly number[];
}

export interface TakeoverOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly dir: string;
  readonly rounds: number;
  /** the stall is measured up to this long, then the round counts as this */
  readonly limitMs?: number;
}

const KINDS = ['relay', 'projector', 'saga-runner'] as const;

export const runTakeovers = async (o: TakeoverOptions): Promise<TakeoverResult[]> => {
  const processes = new Map<string, EngineProcess>();
  // a stall measured here is what flow control would shed placements for (ADR 0027); the probes must go in regardless
  const env: Record<string, string> = { ...o.env, FLOW_CONTROL: 'off' };
  const start = async (subcommand: string, name: string): Promise<EngineProcess> => {
    const p = await startEngine({
      name,
      subcommand,
      env: { ...env, DATA_DIR: `${o.dir}/${name}` },
      logDir: o.dir,
      readyTimeoutMs: 90_000,
    });
    processes.set(name, p);
    return p;
  };
  let probes = 0;
  const run = `to${Date.now().toString(36)}`;
  try {
    env.PAYMENT_PROVIDER_URL = (await start('payment-simulator', 'payment-simulator')).url;
    const api = await start('command-api', 'command-api');
    for (const kind of KINDS) for (const n of [1, 2]) await start(kind, `${kind}-${n}`);
    const readApi = await start('read-api', 'read-api');
    const post = async (path: string, body: unknown): Promise<void> => {
      const r = await fetch(`${api.url}${path}`, {
        method: path.endsWith('restock') ? 'POST' : path.startsWith('/v1/skus/') ? 'PUT' : 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!r.ok) throw new Error(`${path} → ${r.status} ${await r.text()}`);
    };
    await post('/v1/skus/PROBE-1', { name: 'Probe', unitPrice: { amount: 100, currency: 'EUR' } });
    await post('/v1/skus/PROBE-1/restock', { quantity: 1_000_000 });
    const confirmed = async (orderId: string): Promise<boolean> => {
      const r = await fetch(`${readApi.url}/v1/orders/${orderId}`);
      return r.ok && ((await r.json()) as { status?: string }).status === 'Confirmed';
    };
    const placeProbe = async (): Promise<string> => {
      const orderId = `${run}-p-${(probes += 1)}`;
      await post('/v1/orders', {
        orderId,
        customerId: `probe-${probes % 97}`,
        lines: [{ sku: 'PROBE-1', quantity: 1 }],
        payment: { token: 'tok_approve' },
      });
      return orderId;
    };
    // warm: every partition of every group assigned, and the pipeline flowing
    const warm = await Promise.all(Array.from({ length: 20 }, placeProbe));
    const until = Date.now() + 60_000;
    while (!(await Promise.all(warm.map(confirmed))).every(Boolean) && Date.now() < until) await sleep(200);

    let activeRelay = processes.get('relay-2')?.tail(1_000).includes('relay holds the lease') ? 'relay-2' : 'relay-1';
    const results: TakeoverResult[] = [];
    for (const kind of KINDS) {
      const samples: number[] = [];
      for (let round = 0; round < o.rounds; round++) {
        // the relay's victim is the active one, which holds the lease; its standby holds it after each kill
        const victimName = kind === 'relay' ? activeRelay : `${kind}-${1 + (round % 2)}`;
        if (kind === 'relay') activeRelay = activeRelay === 'relay-1' ? 'relay-2' : 'relay-1';
        const victim = processes.get(victimName);
        if (victim === undefined) throw new Error(`no ${victimName}`);
        await victim.kill();
        const killedAt = Date.now();
        const watched: string[] = [];
        while (Date.now() - killedAt < 1_000) {
          watched.push(await placeProbe());
          await sleep(100);
        }
        const limit = killedAt + (o.limitMs ?? 120_000);
        const pending = new Set(watched);
        while (pending.size > 0 && Date.now() < limit) {
          for (const id of [...pending]) if (await confirmed(id)) pending.delete(id);
          if (pending.size > 0) await sleep(100);
        }
        const stallMs = Date.now() - killedAt;
        samples.push(stallMs);
        progress(`takeover: ${kind} (${victimName}) round ${round + 1}: ${(stallMs / 1000).toFixed(1)} s`);
        // the replacement, as an orchestrator would start one; then let the group settle before the next kill
        await start(kind, victimName);
        await sleep(3_000);
      }
      results.push({ kind, samplesMs: samples });
    }
    return results;
  } finally {
    for (const p of [...processes.values()].reverse()) await p.stop(5_000).catch(() => undefined);
  }
};
