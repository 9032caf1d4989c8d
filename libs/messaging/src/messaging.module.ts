import { Global, Module, type OnApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { APP_ENV, type AppEnv } from '#config';
import { createKafka } from './kafka-factory.js';
import { KafkaProducer } from './kafka-producer.js';

export const KAFKA = Symbol('KAFKA');

@Injectable()
class ProducerShutdown implements OnApplicationShutdown {
  constructor(private readonly producer: KafkaProducer) {}
  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
  }
}

/** The process's Kafka client and its one producer. */
@Global()
@Module({
  providers: [
    {
      provide: KAFKA,
      inject: [APP_ENV],
      useFactory: (env: AppEnv): Kafka => createKafka({ brokers: env.KAFKA_BROKERS, clientId: env.KAFKA_CLIENT_ID }),
    },
    { provide: KafkaProducer, inject: [KAFKA], useFactory: (kafka: Kafka) => new KafkaProducer(kafka) },
    ProducerShutdown,
  ],
  exports: [KAFKA, KafkaProducer],
})
export class MessagingModule {}
