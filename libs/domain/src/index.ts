// Public surface of the pure domain: no Nest, no I/O, no wall clock.
export * from './engine/index.js';
export * from './policy/index.js';
export * from './time/index.js';
export * from './replay/index.js';
export * from './commands/hq-review.js';
export * from './commands/evidence.js';
