import { expect } from 'chai';
import { domainImpurities, findCycles, importGraph, layerViolations } from './architecture';

describe('the architecture', () => {
  const graph = importGraph(['domain', 'commands', 'projections', 'read-api', 'infra', 'test', 'bench']);

  it('keeps domain/ free of imports from other layers and of node built-ins', () => {
    expect(layerViolations(graph)).to.deep.equal([]);
  });

  it('keeps domain/ deterministic: no clock, randomness, timers or process access', () => {
    expect(domainImpurities()).to.deep.equal([]);
  });

  it('keeps production code under infra/ off the test-services harness (infra/services)', () => {
    const harnessImports = [...graph].flatMap(([file, { relative }]) =>
      /^infra\/(?!services\/|cli\/).*(?<!\.spec\.ts)$/.test(file)
        ? relative.filter((target) => target.startsWith('infra/services/')).map((target) => `${file} imports ${target}`)
        : [],
    );
    expect(harnessImports).to.deep.equal([]);
  });

  it('has no import cycles', () => {
    expect(findCycles(graph)).to.deep.equal([]);
  });

  describe('its checker', () => {
    it('reports a domain file that imports from infra or node:*', () => {
      const fake = new Map([
        ['domain/a.ts', { relative: ['infra/x.ts'], packages: ['node:fs', 'fs'] }],
        ['infra/x.ts', { relative: [], packages: [] }],
      ]);
      expect(layerViolations(fake)).to.have.length(3);
    });

    it('reports a cycle', () => {
      const fake = new Map([
        ['a.ts', { relative: ['b.ts'], packages: [] }],
        ['b.ts', { relative: ['c.ts'], packages: [] }],
        ['c.ts', { relative: ['a.ts'], packages: [] }],
      ]);
      expect(findCycles(fake)).to.deep.equal([['a.ts', 'b.ts', 'c.ts']]);
    });
  });
});
