import type { GroundTruth } from './truth.js';

const number = new Intl.NumberFormat('en-US');

/** The one-paragraph account printed at the end of a run. */
export function summarize(truth: GroundTruth, run: { generatedMs: number; outputs: string[] }): string {
  const { events, stream } = truth;
  const topics = Object.entries(events.byTopic)
    .map(([topic, count]) => `${topic} ${number.format(count)}`)
    .join(', ');
  const classes = Object.keys(truth.coverage.byClass).length;
  const reasons = Object.keys(truth.coverage.byReason).length;
  const retractions = stream.late.items.filter((item) => item.expectRetraction).length;
  return (
    `Simulated ${truth.day} (${truth.timeZone}, seed ${truth.seed}, policy ${truth.policyVersion}): ` +
    `${number.format(truth.waybills)} waybills and ${number.format(events.unique)} events, put on the stream as ` +
    `${number.format(events.envelopes)} messages (${topics}). ` +
    `Injected ${number.format(truth.problems.length)} problems on ${number.format(truth.problemWaybills)} waybills ` +
    `(${(truth.problemShare * 100).toFixed(1)} %), covering ${classes} classes and ${reasons} reason codes; ` +
    `stream faults: ${number.format(stream.duplicates.count)} duplicates, ${number.format(stream.outOfOrder.count)} out of order, ` +
    `${number.format(stream.late.count)} late registrations (${number.format(retractions)} should be retracted), ` +
    `${number.format(stream.malformed.count)} malformed. ` +
    `Generated in ${(run.generatedMs / 1000).toFixed(1)} s${run.outputs.length > 0 ? `; ${run.outputs.join('; ')}` : ''}.`
  );
}
