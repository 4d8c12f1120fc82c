import type { Admin } from 'kafkajs';
import { fetchTopicOffsets, type PartitionOffsets } from './topics';

type EndOffsets = readonly { readonly topic: string; readonly partitions: readonly PartitionOffsets[] }[];
type Committed = Awaited<ReturnType<Admin['fetchOffsets']>>;

/** Every partition's watermarks: two requests per topic, whatever the number of groups asked about. */
const endOffsets = (admin: Admin, topics: readonly string[]): Promise<EndOffsets> =>
  Promise.all(topics.map(async (topic) => ({ topic, partitions: await fetchTopicOffsets(admin, topic) })));

const committedOffsets = (admin: Admin, group: string, topics: readonly string[]): Promise<Committed> =>
  admin.fetchOffsets({ groupId: group, topics: [...topics] });

const lagOf = (ends: EndOffsets, committed: Committed): number => {
  const offsets = new Map<string, number>();
  for (const { topic, partitions } of committed) {
    for (const { partition, offset } of partitions) offsets.set(`${topic}/${partition}`, Number(offset));
  }
  let lag = 0;
  for (const { topic, partitions } of ends) {
    for (const { partition, high, low } of partitions) {
      const at = offsets.get(`${topic}/${partition}`) ?? -1;
      lag += Math.max(0, Number(high) - (at < 0 ? Number(low) : at));
    }
  }
  return lag;
};

/**
 * The largest lag among `groups`: the consumer furthest behind is the one a producer must wait for. The watermarks
 * are read once for all groups (the command API samples this five times a second).
 */
export const slowestGroupLag = async (
  admin: Admin,
  groups: readonly string[],
  topics: readonly string[],
): Promise<number> => {
  const [ends, ...committed] = await Promise.all([
    endOffsets(admin, topics),
    ...groups.map((group) => committedOffsets(admin, group, topics)),
  ]);
  return Math.max(0, ...committed.map((offsets) => lagOf(ends, offsets)));
};

/**
 * How many messages consumer `group` has not committed yet on `topics`: per partition the high watermark minus the
 * group's committed offset (the low watermark where it committed none). Summed over every partition.
 */
export const groupLag = (admin: Admin, group: string, topics: readonly string[]): Promise<number> =>
  slowestGroupLag(admin, [group], topics);
