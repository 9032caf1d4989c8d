// Function API of the simulator, for tests, benchmarks and scripts (the CLI is main.ts).
export { DEFAULT_FAULTS, DEFAULT_PROBLEM_SHARE, DEFAULT_WAYBILLS, generateDay, type Envelope, type GenerateDayOptions, type SimulatedDay } from './generator.js';
export { buildNetwork, Network, writePolicyFile, type Branch, type Hub, type NetworkOptions, type PolicyDocument } from './network.js';
export { SCENARIOS } from './scenarios/index.js';
export { produceToKafka, messageValue, type KafkaSinkOptions } from './sinks/kafka.js';
export { toNdjsonLine, writeJsonFile, writeNdjson } from './sinks/ndjson.js';
export { summarize } from './summary.js';
export type { Detection, ExpectedDeadline, GroundTruth, InjectedProblem, MalformedKind, StreamFaults } from './truth.js';
export type { ActionEvent, ExceptionEvent, ReplyEvent, ScanEvent, WireEvent } from './wire.js';
