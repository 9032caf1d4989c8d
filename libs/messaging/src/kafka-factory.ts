import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { Logger } from '@nestjs/common';

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
}

const logger = new Logger('kafkajs');

/** kafkajs logs through Nest's logger so that one log pipeline (and its PII masking) sees everything. */
function logCreator() {
  return ({ level, log }: LogEntry) => {
    const { message, ...extra } = log;
    const text = `${message} ${JSON.stringify({ broker: extra.broker, groupId: extra.groupId, error: extra.error })}`;
    if (level === logLevel.ERROR) logger.error(text);
    else if (level === logLevel.WARN) logger.warn(text);
  };
}

export function createKafka({ brokers, clientId }: KafkaConnection): Kafka {
  return new Kafka({
    brokers,
    clientId,
    logLevel: logLevel.WARN,
    logCreator,
    connectionTimeout: 3000,
    // Keep retrying a broker that is down instead of crashing: the service must outlive broker restarts.
    retry: { initialRetryTime: 200, retries: 12, maxRetryTime: 10_000 },
  });
}
