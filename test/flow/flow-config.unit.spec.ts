import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../app/config';
import { defaultFlowRules } from '../../http/flow/rules';

describe('flow control configuration', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flow-config-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const problemsOf = (env: Record<string, string>): readonly string[] => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('is on with the default rules when nothing is set', () => {
    expect(loadConfig({}).flowRules).to.deep.equal(defaultFlowRules);
  });

  it('sheds from 3 s of lag by default on Kafka, where a healthy deployment lags up to about 1.5 s', () => {
    const kafka = loadConfig({ BUS: 'kafka', KAFKA_BROKERS: '127.0.0.1:9092' }).flowRules;
    expect(kafka?.shedding?.maxLagMs).to.equal(3_000);
    expect({ ...kafka, shedding: undefined }).to.deep.equal({ ...defaultFlowRules, shedding: undefined });
    expect(defaultFlowRules.shedding?.maxLagMs).to.equal(300);
  });

  it('is off with FLOW_CONTROL=off', () => {
    expect(loadConfig({ FLOW_CONTROL: 'off' }).flowRules).to.equal(undefined);
  });

  it('reads the FLOW_RULES file, YAML or JSON', () => {
    const file = join(dir, 'rules.yaml');
    writeFileSync(file, 'hotSku:\n  perSecond: 50\n  burst: 100\nsoldOutFastPath: false\n');
    expect(loadConfig({ FLOW_RULES: file }).flowRules).to.deep.equal({
      hotSku: { perSecond: 50, burst: 100 },
      soldOutFastPath: false,
    });
  });

  it('names the file and each bad field of invalid rules, and a missing file', () => {
    const file = join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify({ hotSku: { perSecond: -1 }, perKey: 5 }));
    const [problem] = problemsOf({ FLOW_RULES: file });
    expect(problem).to.contain(file).and.contain('hotSku.perSecond').and.contain('perKey');
    expect(problemsOf({ FLOW_RULES: join(dir, 'missing.json') })[0]).to.match(/^FLOW_RULES: cannot read/);
    expect(problemsOf({ FLOW_CONTROL: 'maybe' })[0]).to.contain('FLOW_CONTROL');
  });
});
