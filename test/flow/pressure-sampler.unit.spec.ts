import { expect } from 'chai';
import { PressureSampler, type Backlog } from '../../http/flow/pressure';

/** A sampler whose timer never fires within a test: each sample is taken by hand, on a clock the test moves. */
const sampler = (backlogs: readonly number[], backlogEveryMs?: number) => {
  let now = 0;
  let reads = 0;
  const s = new PressureSampler({
    everyMs: 3_600_000,
    now: () => now,
    ...(backlogEveryMs === undefined ? {} : { backlogEveryMs }),
    backlog: (): Promise<Backlog> => {
      const events = backlogs[Math.min(reads, backlogs.length - 1)] ?? 0;
      reads += 1;
      return Promise.resolve({ events });
    },
  });
  return {
    s,
    reads: () => reads,
    at: (ms: number) => {
      now = ms;
    },
  };
};

describe('PressureSampler: when the backlog is read', () => {
  it('an idle process reads no backlog, however many samples it takes', async () => {
    const { s, reads } = sampler([5]);
    try {
      for (let i = 0; i < 5; i++) await s.sample();
      expect(reads()).to.equal(0);
      expect(s.current().backlog).to.equal(0);
    } finally {
      s.stop();
    }
  });

  it('admission asking for the pressure makes the next sample read the backlog', async () => {
    const { s, reads } = sampler([7, 0]);
    try {
      s.current();
      await s.sample();
      expect(reads()).to.equal(1);
      expect(s.current().backlog).to.equal(7);
    } finally {
      s.stop();
    }
  });

  it('a backlog above zero is read again without asking until it has drained, then no more', async () => {
    const { s, reads } = sampler([3, 1, 0, 9]);
    try {
      s.current();
      for (let i = 0; i < 6; i++) await s.sample();
      // 3, 1, 0: drained, and nobody asked since
      expect(reads()).to.equal(3);
    } finally {
      s.stop();
    }
  });

  it('a backlog that is costly to read is read at most once per backlogEveryMs, however often asked', async () => {
    const { s, reads, at } = sampler([0], 1_000);
    try {
      for (const ms of [0, 200, 400, 600, 800, 1_000, 1_200, 1_999, 2_000]) {
        at(ms);
        s.current();
        await s.sample();
      }
      // at 0, 1,000 and 2,000
      expect(reads()).to.equal(3);
    } finally {
      s.stop();
    }
  });
});
