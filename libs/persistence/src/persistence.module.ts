import { Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_ENV, type AppEnv } from '#config';
import { dataSourceOptions } from './data-source.js';
import { OutboxRepository } from './repositories/outbox.repository.js';

/** Refuses to run against a database whose schema is behind the code: migrations run before the apps start. */
@Injectable()
class SchemaGuard implements OnApplicationBootstrap {
  constructor(private readonly dataSource: DataSource) {}
  async onApplicationBootstrap(): Promise<void> {
    if (await this.dataSource.showMigrations()) {
      throw new Error('DATABASE_URL: the schema has pending migrations; run `node dist/libs/persistence/src/migrate.js` first');
    }
  }
}

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_ENV],
      useFactory: (env: AppEnv) => dataSourceOptions(env.DATABASE_URL, env.DATABASE_POOL_SIZE),
    }),
  ],
  providers: [
    SchemaGuard,
    { provide: OutboxRepository, inject: [DataSource], useFactory: (ds: DataSource) => new OutboxRepository(ds) },
  ],
  exports: [TypeOrmModule, OutboxRepository],
})
export class PersistenceModule {}
