import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { HEALTH_OPTIONS, withPolicy, type DependencyHealthCheck, type ResolvedHealthOptions } from '../health-check.js';

/**
 * Kafka: `describeCluster` through an admin client on `KAFKA_BROKERS`, connected at the first check and kept;
 * after a failure it is dropped and the next check reconnects. Short timeouts and no retries: a probe must answer
 * quickly, and the next probe is the retry.
 */
@Injectable()
export class KafkaHealthCheck implements DependencyHealthCheck, OnApplicationShutdown {
  readonly key = 'kafka';
  private readonly kafka: Kafka;
  private admin?: Promise<Admin>;

  constructor(
    @Inject(HealthIndicatorService) private readonly indicator: HealthIndicatorService,
    @Inject(HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
  ) {
    if (options.kafkaBrokers.length === 0) {
      throw new Error('HealthModule: the kafka check needs KAFKA_BROKERS (or the kafkaBrokers option)');
    }
    this.kafka = new Kafka({
      clientId: options.clientName,
      brokers: options.kafkaBrokers,
      connectionTimeout: options.timeoutMs,
      requestTimeout: options.timeoutMs,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
  }

  check(): PromiseLike<HealthIndicatorResult> {
    const attempt = this.indicator.check(this.key).attempt(async () => {
      try {
        const admin = await this.connectedAdmin();
        const cluster = await admin.describeCluster();
        return { brokers: cluster.brokers.length };
      } catch (error) {
        await this.dropAdmin();
        throw error;
      }
    });
    return withPolicy(attempt, this.options);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dropAdmin();
  }

  private connectedAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
      } catch (error) {
        await admin.disconnect().catch(() => undefined);
        throw error;
      }
      return admin;
    })();
    return this.admin;
  }

  private async dropAdmin(): Promise<void> {
    const pending = this.admin;
    this.admin = undefined;
    const admin = await pending?.catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
  }
}
