import type { Admin } from 'kafkajs';
import { fetchTopicOffsets, type PartitionOffsets } from './topics';

type EndOffsets = readonly { readonly topic: string; readonly partitions: readonly PartitionOffsets[] }[];
type Committed = Awaited<ReturnType<Admin['fetchOffsets']>>;

/** Every partition's watermarks: two requests per topic, whatever the number of groups asked about. */
const endOffsets = (admin: Admin, topics: readonly string[]): Promise<EndOffsets> =>
  Promise.all(topics.map(async (topic) => ({ topic, partitions: await fetchTopicOffsets(admin, topic) })));

const committedOffsets = (admin: Admin, group: string, topics: readonly string[]): Promise<Committed> =>
  admin.fetchOffsets({ groupId: group, topics: [...topics] });

/** Per partition (`topic/partition`), the next offset the group would read: its committed one, else the first kept. */
const nextOffsets = (ends: EndOffsets, committed: Committed): Map<string, number> => {
  const offsets = new Map<string, number>();
  for (const { topic, partitions } of committed) {
    for (const { partition, offset } of partitions) offsets.set(`${topic}/${partition}`, Number(offset));
  }
  const next = new Map<string, number>();
  for (const { topic, partitions } of ends) {
    for (const { partition, low } of partitions) {
      const key = `${topic}/${partition}`;
      const at = offsets.get(key) ?? -1;
      next.set(key, at < 0 ? Number(low) : at);
    }
  }
  return next;
};

const lagOf = (ends: EndOffsets, next: ReadonlyMap<string, number>): number => {
  let lag = 0;
  for (const { topic, partitions } of ends) {
    for (const { partition, high, low } of partitions) {
      lag += Math.max(0, Number(high) - (next.get(`${topic}/${partition}`) ?? Number(low)));
    }
  }
  return lag;
};

/**
 * The ages (ms) at which `SlowestGroupBacklog` asks whether a message that old still waits; the lag it reports is
 * known to the step. 300 is flow control's default `maxLagMs`, so that limit is decided exactly.
 */
export const LAG_STEPS_MS: readonly number[] = [
  100, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 30_000, 60_000,
];

export interface GroupBacklog {
  /** messages the slowest group has not committed */
  readonly events: number;
  /**
   * how long ago the oldest message some group has not committed was produced, as the next step of `LAG_STEPS_MS`
   * above it (the first step when it is younger; the last when it is older than that); 0 with nothing waiting
   */
  readonly lagMs: number;
}

/**
 * The backlog of the slowest of `groups` on `topics`, and its age: Kafka keeps no consumer's lag in time, but it
 * answers, per partition, the first offset produced at or after a moment (ListOffsets by timestamp). A group that has
 * not committed up to that offset has a message older than the moment waiting. So `read` asks at the steps of
 * `LAG_STEPS_MS`, starting where the last reading ended (the age moves a step or two between readings): usually two
 * questions of two requests per topic, and none while nothing waits. Ages are those of the producer's clock (the
 * relay's `CreateTime`); messages the relay has not published yet are not counted.
 */
export class SlowestGroupBacklog {
  private step = 0;

  constructor(
    private readonly admin: Admin,
    private readonly groups: readonly string[],
    private readonly topics: readonly string[],
    private readonly now: () => number = Date.now,
  ) {}

  async read(): Promise<GroupBacklog> {
    const [ends, ...committed] = await Promise.all([
      endOffsets(this.admin, this.topics),
      ...this.groups.map((group) => committedOffsets(this.admin, group, this.topics)),
    ]);
    const next = committed.map((offsets) => nextOffsets(ends, offsets));
    const events = Math.max(0, ...next.map((offsets) => lagOf(ends, offsets)));
    if (events === 0) {
      this.step = 0;
      return { events, lagMs: 0 };
    }
    const last = LAG_STEPS_MS.length - 1;
    const stepMs = (i: number): number => LAG_STEPS_MS[i] ?? 0;
    const olderWaits = async (i: number): Promise<boolean> => {
      const firstYounger = await offsetsProducedSince(this.admin, this.topics, this.now() - stepMs(i));
      return next.some((offsets) => [...firstYounger].some(([key, offset]) => (offsets.get(key) ?? offset) < offset));
    };
    let i = Math.min(this.step, last);
    if (await olderWaits(i)) {
      while (i < last && (await olderWaits(i + 1))) i++;
      this.step = i;
      return { events, lagMs: stepMs(Math.min(i + 1, last)) };
    }
    while (i > 0 && !(await olderWaits(i - 1))) i--;
    this.step = Math.max(0, i - 1);
    return { events, lagMs: stepMs(i) };
  }
}

/** Per partition, the first offset produced at or after `timestamp` (the high watermark where none was). */
const offsetsProducedSince = async (
  admin: Admin,
  topics: readonly string[],
  timestamp: number,
): Promise<Map<string, number>> => {
  const answers = await Promise.all(
    topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsetsByTimestamp(topic, timestamp) })),
  );
  const offsets = new Map<string, number>();
  for (const { topic, partitions } of answers) {
    for (const { partition, offset } of partitions) offsets.set(`${topic}/${partition}`, Number(offset));
  }
  return offsets;
};
