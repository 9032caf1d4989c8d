export * from './env.schema.js';
export * from './load-env.js';
export * from './topics.js';
export * from './queues.js';
export * from './config.module.js';
export * from './policy.module.js';
export * from './clock.js';
