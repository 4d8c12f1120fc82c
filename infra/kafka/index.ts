/** The Kafka adapters: centre topics, the event codec, the store → Kafka relay and the consumer-group message bus. */
export { kafkaClient, type KafkaConnectionOptions, type KafkaLogger } from './client';
export {
  decodeMessage,
  encodeEvent,
  eventTypeHeader,
  legacyEventHeaders,
  MalformedMessageError,
  partitionForKey,
  type ConsumedMessage,
  type DecodeResult,
} from './codec';
export {
  ConsumerStoppedError,
  HandlerFailedError,
  KafkaBus,
  type KafkaBusOptions,
  type KafkaConsumer,
} from './kafka-bus';
export { Relay, startRelay, type RelayBatchInfo, type RelayOptions, type RelayStats } from './relay';
export { LAG_STEPS_MS, SlowestGroupBacklog, type GroupBacklog } from './lag';
export { readPartitionTails, type PartitionTails } from './tail';
export {
  centreOfStream,
  centres,
  ensureTopics,
  fetchTopicOffsets,
  Topics,
  type Centre,
  type EnsureTopicsOptions,
  type EnsureTopicsResult,
} from './topics';
