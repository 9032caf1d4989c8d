import { generateDay } from './generator.js';
import { summarize } from './summary.js';

describe('summarize', () => {
  it('states the day, the volumes, the injected problems and the stream faults in one paragraph', () => {
    const { truth } = generateDay({ seed: 4, day: '2026-11-22', waybills: 300, malformed: 5 });
    const text = summarize(truth, { generatedMs: 1234, outputs: ['300 lines to day.ndjson'] });
    expect(text).not.toContain('\n');
    expect(text).toContain('Simulated 2026-11-22 (Asia/Shanghai, seed 4');
    expect(text).toContain(`${truth.waybills} waybills`);
    expect(text).toContain(`${truth.problems.length} problems on ${truth.problemWaybills} waybills`);
    expect(text).toContain('covering 7 classes');
    expect(text).toContain('5 malformed');
    expect(text).toContain('Generated in 1.2 s; 300 lines to day.ndjson.');
  });
});
