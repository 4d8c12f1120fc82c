import type { Admin } from 'kafkajs';
import { fetchTopicOffsets } from './topics';

/**
 * How many messages consumer `group` has not committed yet on `topics`: per partition the high watermark minus the
 * group's committed offset (the low watermark where it committed none). Summed over every partition.
 */
export const groupLag = async (admin: Admin, group: string, topics: readonly string[]): Promise<number> => {
  const [ends, committed] = await Promise.all([
    Promise.all(topics.map(async (topic) => ({ topic, partitions: await fetchTopicOffsets(admin, topic) }))),
    admin.fetchOffsets({ groupId: group, topics: [...topics] }),
  ]);
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

/** The largest lag among `groups`: the consumer furthest behind is the one a producer must wait for. */
export const slowestGroupLag = async (admin: Admin, groups: readonly string[], topics: readonly string[]) =>
  Math.max(0, ...(await Promise.all(groups.map((group) => groupLag(admin, group, topics)))));
