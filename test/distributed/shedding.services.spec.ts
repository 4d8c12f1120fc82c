import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineProcess } from '../../tools/services/engine-process';
import { postgresSchemas } from '../postgres-schemas';
import { Cluster, call, removeTestDir, sleep, trackFailures } from './cluster-kit';

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly retryAfter: string | null;
  readonly body: Record<string, unknown>;
}

const placeOrder = async (api: EngineProcess, orderId: string): Promise<Answer> => {
  const r = await fetch(`${api.url}/v1/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': orderId },
    body: JSON.stringify({
      orderId,
      customerId: 'c-shed',
      lines: [{ sku: 'MUG-1', quantity: 1 }],
      payment: { token: 'tok_approve' },
    }),
    signal: AbortSignal.timeout(30_000),
  });
  return {
    status: r.status,
    contentType: r.headers.get('content-type') ?? '',
    retryAfter: r.headers.get('retry-after'),
    body: (await r.json()) as Record<string, unknown>,
  };
};

/**
 * Flow control's lag rule on Kafka (ADR 0027): the command API reads how old the oldest message is that a consumer
 * group has not committed, and sheds placements past the default 3 s. A deployment whose saga runner is not running
 * is the plainest case of sagas falling behind.
 */
describe('flow control on Kafka: placements are shed while the sagas run behind, and admitted once they catch up', function () {
  const failures = trackFailures();
  this.timeout(180_000);
  const schemas = postgresSchemas('shedding');
  const run = `sh${Date.now().toString(36)}`;
  let dir: string | undefined;
  let cluster: Cluster | undefined;

  after(async () => {
    await cluster?.stopAll();
    removeTestDir(dir, failures);
  });

  it('answers 503 shedding:lag with Retry-After once the saga runner’s oldest waiting event is 3 s old, then 202 again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-shedding-'));
    const c = new Cluster({
      dir,
      postgresUrl: schemas.url,
      eventSchema: schemas.next(),
      readSchema: schemas.next(),
      topicPrefix: `${run}.`,
      env: { FLOW_CONTROL: 'on' },
    });
    cluster = c;
    const api = await c.start('command-api', 'command-api');
    await c.start('relay', 'relay');
    await c.start('projector', 'projector');
    await call(api, 'PUT', '/v1/skus/MUG-1', { name: 'Mug', unitPrice: { amount: 900, currency: 'EUR' } });
    await call(api, 'POST', '/v1/skus/MUG-1/restock', { quantity: 10_000 });

    // no saga runner yet: every placement's events wait for it, and the oldest grows older
    const started = Date.now();
    let accepted = 0;
    let shed: Answer | undefined;
    let shedAfterMs = 0;
    for (let i = 0; shed === undefined && Date.now() - started < 30_000; i++) {
      const answer = await placeOrder(api, `${run}-early-${i}`);
      if (answer.status === 202) accepted += 1;
      else if (answer.status === 503) {
        shed = answer;
        shedAfterMs = Date.now() - started;
      } else expect.fail(`unexpected answer ${answer.status} ${JSON.stringify(answer.body)}`);
      await sleep(100);
    }
    expect(shed, 'a placement refused within 30 s while no saga runner runs').to.not.equal(undefined);
    expect(shed?.body.rule).to.equal('shedding:lag');
    expect(shed?.contentType).to.match(/^application\/problem\+json/);
    expect(shed?.retryAfter).to.equal('1');
    expect(String(shed?.body.detail)).to.match(/limit 3000/);
    expect(accepted, 'placements admitted before the backlog was 3 s old').to.be.greaterThan(0);
    expect(shedAfterMs, 'not shed before the oldest waiting event could be 3 s old').to.be.at.least(3_000);

    // the saga runner starts, takes the backlog and commits it: placements are admitted again
    await c.start('saga-runner', 'saga-runner');
    const deadline = Date.now() + 60_000;
    let admitted: Answer | undefined;
    for (let i = 0; admitted === undefined && Date.now() < deadline; i++) {
      const answer = await placeOrder(api, `${run}-late-${i}`);
      if (answer.status === 202) admitted = answer;
      else expect(answer.status, JSON.stringify(answer.body)).to.equal(503);
      await sleep(500);
    }
    expect(admitted, 'a placement admitted within 60 s of the saga runner starting').to.not.equal(undefined);
  });
});
