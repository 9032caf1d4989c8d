export * from './kafka-factory.js';
export * from './kafka-producer.js';
export * from './topic-admin.js';
export * from './kafka-batch.server.js';
export * from './outbox-relay.js';
export * from './messaging.module.js';
export * from './consumer-lag.js';
export * from './attach-consumer.js';
