import { expect } from 'chai';
import { Partitioners, type Admin, type Kafka, type Message } from 'kafkajs';
import { SlowestGroupBacklog } from '../../infra/kafka/lag';
import { ensureTopics, Topics } from '../../infra/kafka/topics';
import { withTimeout } from '../../tools/services/clients';
import { deleteTopics, testKafka, uniqueGroup, uniquePrefix } from './kafka-test-kit';

/** A connected admin and fresh centre topics for the specs of one `describe`, deleted after them. */
const freshTopics = (label: string): { kafka: Kafka; admin: Admin; topics: Topics } => {
  const context = {} as { kafka: Kafka; admin: Admin; topics: Topics };
  before(async () => {
    context.kafka = testKafka(label);
    context.admin = context.kafka.admin();
    await withTimeout(context.admin.connect(), 30_000, 'admin connect');
    context.topics = new Topics(uniquePrefix(label.replace(/-/g, '')));
    await withTimeout(
      ensureTopics(context.admin, { topicPrefix: context.topics.prefix }),
      60_000,
      'creating the topics',
    );
  });
  after(async () => {
    await deleteTopics(context.admin, context.topics.all);
    await context.admin.disconnect();
  });
  return context;
};

/** Produces `messages` to the orders topic. */
const produceOrders = async (kafka: Kafka, topics: Topics, messages: Message[]): Promise<void> => {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic: topics.forCentre('orders'), messages });
  await producer.disconnect();
};

/** Needs KAFKA_BROKERS (`npm run test:services` sets it): the consumer lag a command API of its own sheds by. */
describe('consumer-group lag on Kafka', () => {
  const context = freshTopics('lag');
  let admin: Admin;
  let topics: Topics;

  /** messages the slowest of `groups` has not committed */
  const slowestGroupLag = async (groups: readonly string[]): Promise<number> =>
    (await new SlowestGroupBacklog(admin, groups, topics.all).read()).events;

  before(async () => {
    ({ admin, topics } = context);
    await produceOrders(
      context.kafka,
      topics,
      Array.from({ length: 12 }, (_, i) => ({ key: `order-${i}`, value: `v${i}` })),
    );
  });

  it('counts every message of a group that committed nothing, from the start of each partition', async () => {
    expect(await slowestGroupLag([uniqueGroup('fresh')])).to.equal(12);
  });

  it('counts only what lies past a group’s committed offsets, and answers the slowest of several groups', async () => {
    const orders = topics.forCentre('orders');
    const ends = await admin.fetchTopicOffsets(orders);
    const ahead = uniqueGroup('ahead');
    // commit all but the last message of each partition that holds any
    await admin.setOffsets({
      groupId: ahead,
      topic: orders,
      partitions: ends.map(({ partition, high }) => ({ partition, offset: String(Math.max(0, Number(high) - 1)) })),
    });
    const holding = ends.filter(({ high }) => Number(high) > 0).length;
    expect(await slowestGroupLag([ahead])).to.equal(holding);
    expect(await slowestGroupLag([ahead, uniqueGroup('behind')])).to.equal(12);
  });
});

/** The age of the backlog (flow control's `maxLagMs` on Kafka), from offsets by time; the clock is the test's. */
describe('consumer-group lag in time on Kafka', () => {
  const context = freshTopics('lag-age');
  /** the moment every reading is taken at: messages are produced 4 s and 50 ms before it */
  const at = Date.now();

  const produce = (count: number, ageMs: number, tag: string): Promise<void> =>
    produceOrders(
      context.kafka,
      context.topics,
      Array.from({ length: count }, (_, i) => ({
        key: `order-${tag}-${i}`,
        value: `v${i}`,
        timestamp: String(at - ageMs),
      })),
    );

  /** commits every partition of the orders topic up to its end now */
  const commitAll = async (group: string): Promise<void> => {
    const orders = context.topics.forCentre('orders');
    const ends = await context.admin.fetchTopicOffsets(orders);
    await context.admin.setOffsets({
      groupId: group,
      topic: orders,
      partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
    });
  };

  before(async () => {
    await produce(12, 4_000, 'old');
  });

  const backlogOf = (groups: readonly string[]): SlowestGroupBacklog =>
    new SlowestGroupBacklog(context.admin, groups, context.topics.all, () => at);

  it('answers how old the oldest uncommitted message is, to the step above it, and the same again from that step', async () => {
    const backlog = backlogOf([uniqueGroup('fresh')]);
    // 4,000 ms old: above the 3,000 step, not above 5,000
    expect(await backlog.read()).to.deep.equal({ events: 12, lagMs: 5_000 });
    expect(await backlog.read()).to.deep.equal({ events: 12, lagMs: 5_000 });
  });

  it('answers the slowest group’s age, and walks down when the old messages are committed', async () => {
    const caughtUp = uniqueGroup('caught-up');
    const behind = uniqueGroup('behind');
    await commitAll(caughtUp);
    const slowest = backlogOf([caughtUp, behind]);
    expect(await slowest.read()).to.deep.equal({ events: 12, lagMs: 5_000 });
    // the slow group catches up with the old messages; new ones, 50 ms old, wait
    await commitAll(behind);
    await produce(3, 50, 'new');
    expect(await slowest.read()).to.deep.equal({ events: 3, lagMs: 100 });
  });

  it('answers no lag when every group committed everything', async () => {
    const group = uniqueGroup('done');
    await commitAll(group);
    expect(await backlogOf([group]).read()).to.deep.equal({ events: 0, lagMs: 0 });
  });
});
