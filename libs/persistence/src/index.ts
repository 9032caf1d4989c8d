export * from './entities/index.js';
export * from './entities/user.entity.js';
export * from './data-source.js';
export * from './persistence.module.js';
export * from './repositories/outbox.repository.js';
export * from './repositories/decision.repository.js';
export * from './repositories/intents.js';
export * from './repositories/stream-progress.repository.js';
