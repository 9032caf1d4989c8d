import { Rng } from './prng.js';

describe('Rng', () => {
  const draw = (rng: Rng, count: number) => Array.from({ length: count }, () => rng.next());

  it('repeats its sequence for a seed and differs between seeds', () => {
    expect(draw(new Rng(1), 50)).toEqual(draw(new Rng(1), 50));
    expect(draw(new Rng(1), 50)).not.toEqual(draw(new Rng(2), 50));
  });

  it('forks independent streams: drawing from one leaves the other unchanged', () => {
    const untouched = new Rng(9).fork('b');
    const parent = new Rng(9);
    draw(parent.fork('a'), 1_000);
    expect(draw(parent.fork('b'), 20)).toEqual(draw(untouched, 20));
    expect(draw(new Rng(9).fork('a'), 20)).not.toEqual(draw(new Rng(9).fork('b'), 20));
  });

  it('keeps integers within bounds and reaches both ends', () => {
    const rng = new Rng(5);
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i++) {
      const value = rng.int(3, 7);
      expect(value).toBeGreaterThanOrEqual(3);
      expect(value).toBeLessThanOrEqual(7);
      seen.add(value);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });

  it('picks by weight and shuffles without losing items', () => {
    const rng = new Rng(11);
    let heavy = 0;
    for (let i = 0; i < 5_000; i++) if (rng.weighted([['heavy', 9], ['light', 1]] as const) === 'heavy') heavy++;
    expect(heavy / 5_000).toBeGreaterThan(0.85);
    expect(heavy / 5_000).toBeLessThan(0.95);
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(rng.shuffle(items).sort()).toEqual(items);
    expect(rng.hex(64)).toMatch(/^[0-9a-f]{64}$/);
    expect(() => rng.pick([])).toThrow(RangeError);
  });
});
