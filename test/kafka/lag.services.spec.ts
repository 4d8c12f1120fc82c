import { expect } from 'chai';
import { Partitioners, type Admin, type Kafka } from 'kafkajs';
import { groupLag, slowestGroupLag } from '../../infra/kafka/lag';
import { ensureTopics, Topics } from '../../infra/kafka/topics';
import { withTimeout } from '../../tools/services/clients';
import { deleteTopics, testKafka, uniqueGroup, uniquePrefix } from './kafka-test-kit';

/** Needs KAFKA_BROKERS (`npm run test:services` sets it): the consumer lag a command API of its own sheds by. */
describe('consumer-group lag on Kafka', () => {
  let kafka: Kafka;
  let admin: Admin;
  let topics: Topics;

  before(async () => {
    kafka = testKafka('lag');
    admin = kafka.admin();
    await withTimeout(admin.connect(), 30_000, 'admin connect');
    topics = new Topics(uniquePrefix('lag'));
    await withTimeout(ensureTopics(admin, { topicPrefix: topics.prefix }), 60_000, 'creating the topics');
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const orders = topics.forCentre('orders');
    await producer.send({
      topic: orders,
      messages: Array.from({ length: 12 }, (_, i) => ({ key: `order-${i}`, value: `v${i}` })),
    });
    await producer.disconnect();
  });

  after(async () => {
    await deleteTopics(admin, topics.all);
    await admin.disconnect();
  });

  it('counts every message of a group that committed nothing, from the start of each partition', async () => {
    expect(await groupLag(admin, uniqueGroup('fresh'), topics.all)).to.equal(12);
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
    expect(await groupLag(admin, ahead, topics.all)).to.equal(holding);
    expect(await slowestGroupLag(admin, [ahead, uniqueGroup('behind')], topics.all)).to.equal(12);
  });
});
