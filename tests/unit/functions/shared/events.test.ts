import { backoffDelayMs } from '#shared/events';

describe('PutEvents back-off', () => {
  it('grows exponentially from 200 ms up to a 2 s ceiling', () => {
    const ceilings = [1, 2, 3, 4, 5, 6].map((retry) => backoffDelayMs(retry, () => 1));

    expect(ceilings).toEqual([200, 400, 800, 1600, 2000, 2000]);
  });

  it('waits a random time between zero and the ceiling (full jitter)', () => {
    expect(backoffDelayMs(3, () => 0)).toBe(0);
    expect(backoffDelayMs(3, () => 0.25)).toBe(200);
    for (let sample = 0; sample < 100; sample++) {
      const delay = backoffDelayMs(2);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(400);
    }
  });
});
