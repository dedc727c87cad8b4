/** The soak's verdict (scripts/soak-analysis.ts): slopes after warm-up, not end minus start; descriptors at cycle boundaries. */
import { describe, expect, it } from 'vitest';

import { fitLine, judgeSoak, type SoakSample } from '../../scripts/soak-analysis.js';

const sample = (t: number, rss: number, extra: Partial<SoakSample> = {}): SoakSample => ({
  t_s: t,
  rss_mib: rss,
  heap_used_mib: 10,
  external_mib: 5,
  array_buffers_mib: 1,
  fds: 40,
  event_loop_lag_p99_ms: 3,
  event_loop_lag_max_ms: 9,
  cycles: 0,
  global_step: 0,
  ...extra,
});

describe('soak verdict', () => {
  it('fits the least-squares line', () => {
    const { slope, intercept } = fitLine([0, 1, 2, 3], [1, 3, 5, 7]);
    expect(slope).toBeCloseTo(2, 12);
    expect(intercept).toBeCloseTo(1, 12);
    expect(Number.isNaN(fitLine([1, 1], [2, 3]).slope)).toBe(true);
    expect(() => fitLine([1], [1, 2])).toThrow('Expected as many y values as x values (1) but received 2');
  });

  it('passes flat memory with noise and a warm-up climb; fails steady growth beyond the bound', () => {
    // 1 h, a sample every 10 s: +200 MiB in the 10-min warm-up, then flat with ±15 MiB sawtooth (GC).
    const flat = Array.from({ length: 361 }, (_, i) => sample(i * 10, i < 60 ? 100 + (200 * i) / 60 : 300 + ((i % 7) - 3) * 5));
    const fds: [number, number][] = [
      [700, 40],
      [3500, 40],
    ];
    const ok = judgeSoak(flat, fds, 600);
    expect(ok.failures).toEqual([]);
    expect(Math.abs(ok.slopes.rss)).toBeLessThan(5);
    // End minus start would say +200 MiB; the slope after warm-up says flat. Now a leak of 30 MiB/h:
    const leak = flat.map((s) => ({ ...s, rss_mib: s.rss_mib + (s.t_s / 3600) * 30 }));
    const bad = judgeSoak(leak, fds, 600);
    expect(bad.ok).toBe(false);
    expect(bad.slopes.rss).toBeGreaterThan(27);
    expect(bad.slopes.rss).toBeLessThan(33);
    expect(bad.failures).toEqual([`RSS grew ${bad.slopes.rss.toFixed(1)} MiB/h after warm-up (bound 20 MiB/h)`]);
  });

  it('fails a descriptor count that grows between cycle boundaries after warm-up, and too short a run', () => {
    const flat = Array.from({ length: 100 }, (_, i) => sample(i * 10, 300));
    const v = judgeSoak(
      flat,
      [
        [50, 30],
        [200, 40],
        [900, 41],
      ],
      100,
    );
    expect(v.failures).toEqual(['open descriptors grew from 40 to 41 between cycle boundaries after warm-up (a descriptor leak)']);
    expect(judgeSoak(flat.slice(0, 3), [], 0).failures).toEqual([
      'only 3 samples after the 0 s warm-up; a slope needs at least 6 (run longer)',
      'only 0 cycle boundaries after warm-up; a descriptor check needs 2 (run longer)',
    ]);
  });
});
