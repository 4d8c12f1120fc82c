import { expect } from 'chai';
import { domainImpurities, findCycles, importGraph, layerViolations, layers } from './architecture';

describe('the architecture', () => {
  const graph = importGraph(layers.flat());

  it('imports only downwards: domain → ports → http → commands, projections → read-api → infra → app', () => {
    expect(layerViolations(graph)).to.deep.equal([]);
  });

  it('keeps domain/ deterministic: no clock, randomness, timers or process access', () => {
    expect(domainImpurities()).to.deep.equal([]);
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

    it('reports an adapter that imports the composition root, and an application file that imports an adapter', () => {
      const fake = new Map([
        ['infra/sqlite/x.ts', { relative: ['app/config.ts', 'ports/clock.ts'], packages: [] }],
        ['commands/y.ts', { relative: ['infra/sqlite/x.ts', 'projections/z.ts'], packages: [] }],
        ['read-api/w.ts', { relative: ['projections/z.ts', 'somewhere/else.ts'], packages: [] }],
      ]);
      expect(layerViolations(fake)).to.deep.equal([
        'infra/sqlite/x.ts imports app/config.ts',
        'commands/y.ts imports infra/sqlite/x.ts',
        'read-api/w.ts imports somewhere/else.ts',
      ]);
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
