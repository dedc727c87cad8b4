import { describe, expect, it } from 'vitest';

import { formatBar, formatBarLine, formatCount, formatDuration, formatStatus, ProgressDisplay } from '../../src/cli/progress.js';

class FakeStream {
  chunks: string[] = [];
  constructor(
    public isTTY: boolean,
    public columns = 100,
  ) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}

describe('progress formatting', () => {
  it('formats durations, counts, bars and the status', () => {
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(59)).toBe('0:59');
    expect(formatDuration(Infinity)).toBe('--:--');
    expect(formatCount(2_250_000)).toBe('2.25M');
    expect(formatCount(12_345)).toBe('12.3k');
    expect(formatCount(999)).toBe('999');
    expect(formatBar(0.5, 10)).toBe('[#####-----]');
    expect(formatBar(2, 4)).toBe('[####]');
    expect(formatStatus(1_000_000, 5_000_000, 1234.4, { step: 1_000_000, episodeReturn: 123.45, flagRate: 0.25 })).toBe(
      '1.00M/5.00M steps | 1,234 SPS | ETA 54:00 | return 123.5 | flag 25%',
    );
    expect(formatStatus(0, 100, NaN, { step: 0 })).toBe('0/100 steps | -- SPS | ETA --:--');
  });
});

describe('ProgressDisplay', () => {
  it('redraws one bar line on a TTY, with SPS from recent updates and an ETA', () => {
    const stream = new FakeStream(true, 120);
    let clock = 0;
    const p = new ProgressDisplay({ totalSteps: 10_000, stream, now: () => clock });
    expect(p.mode).toBe('bar');
    for (let i = 1; i <= 5; i++) {
      clock += 1000;
      p.update({ step: i * 1000, episodeReturn: i });
    }
    expect(p.stepsPerSecond).toBe(1000);
    const last = stream.chunks[stream.chunks.length - 1];
    expect(last.startsWith('\r\x1b[2K[')).toBe(true);
    expect(last).toContain(' 50.0% 5000/10.0k steps | 1,000 SPS | ETA 0:05 | return 5.0');
    expect(stream.text).not.toContain('\n');
    p.log('checkpoint saved');
    expect(stream.text).toContain('\r\x1b[2Kcheckpoint saved\n');
    clock += 1000;
    p.update({ step: 10_000 });
    p.finish('done');
    expect(stream.text.endsWith('\ndone\n')).toBe(true);
    expect(stream.chunks.every((c) => c.replace(new RegExp(`${String.fromCharCode(27)}\\[2K`, 'g'), '').replace(/\r/g, '').length < 120)).toBe(true);
  });

  it('prints plain lines at an interval when the stream is not a TTY', () => {
    const stream = new FakeStream(false);
    let clock = 0;
    const p = new ProgressDisplay({ totalSteps: 100, stream, now: () => clock, plainIntervalMs: 5000 });
    expect(p.mode).toBe('plain');
    for (let i = 1; i <= 10; i++) {
      clock += 1000;
      p.update({ step: i * 10 });
    }
    const lines = stream.text.split('\n').filter(Boolean);
    // t=1s (first), t=6s (interval), t=10s (last step always shown).
    expect(lines).toEqual(['10.0% 10/100 steps | -- SPS | ETA --:--', '60.0% 60/100 steps | 10 SPS | ETA 0:04', '100.0% 100/100 steps | 10 SPS | ETA 0:00']);
    expect(stream.text).not.toContain('\r');
  });

  it('prints the last plain line once when finish() follows the update that drew it', () => {
    const stream = new FakeStream(false);
    const p = new ProgressDisplay({ totalSteps: 4096, stream, now: () => 0 });
    p.update({ step: 4096, episodeReturn: 161.5 });
    p.finish('stopped');
    expect(stream.text.split('\n').filter(Boolean)).toEqual(['100.0% 4096/4096 steps | -- SPS | ETA --:-- | return 161.5', 'stopped']);
    // An update the interval skipped is still drawn by finish().
    const s2 = new FakeStream(false);
    let clock = 0;
    const q = new ProgressDisplay({ totalSteps: 100, stream: s2, now: () => clock });
    q.update({ step: 10 });
    clock += 1000;
    q.update({ step: 20 });
    q.finish();
    expect(s2.text.split('\n').filter(Boolean)).toEqual(['10.0% 10/100 steps | -- SPS | ETA --:--', '20.0% 20/100 steps | 10 SPS | ETA 0:08']);
  });

  it('fits an 80-column terminal without cutting the status: the bar shrinks, then SPS and the bar give way', () => {
    const parts = ['4.10k/5.00M steps', '1,234 SPS', 'ETA 16:00:00', 'return 161.5', 'flag 12%'];
    const at80 = formatBarLine(0.001, parts, 80);
    expect(at80.length).toBeLessThanOrEqual(79);
    expect(at80).toMatch(/^\[#*-+\] {3}0\.1% 4\.10k\/5\.00M steps \| ETA 16:00:00 \| return 161\.5 \| flag 12%$/);
    expect(formatBarLine(0.5, parts, 120)).toContain('| 1,234 SPS |');
    expect(formatBarLine(0.5, parts, 120)).toMatch(/^\[#{20}-{19}\] /);
    const at60 = formatBarLine(0.5, parts, 60);
    expect(at60.length).toBeLessThanOrEqual(59);
    expect(at60).not.toContain('[');
    expect(at60).toContain('flag 12%');
    expect(formatBarLine(0.5, parts, 20).length).toBeLessThanOrEqual(19);
    // Through the display: a long status on an 80-column TTY is never cut mid-part.
    const stream = new FakeStream(true, 80);
    const d = new ProgressDisplay({ totalSteps: 5_000_000, stream, now: () => 0 });
    d.update({ step: 4096, episodeReturn: 161.5, flagRate: 0.12 });
    expect(stream.chunks[0]).toMatch(/ETA --:-- \| return 161\.5 \| flag 12%$/);
  });

  it("'off' writes nothing and bad options are named", () => {
    const stream = new FakeStream(true);
    const p = new ProgressDisplay({ totalSteps: 10, stream, mode: 'off' });
    p.update({ step: 5 });
    p.log('x');
    p.finish('y');
    expect(stream.chunks).toEqual([]);
    expect(() => new ProgressDisplay({ totalSteps: 0, stream })).toThrow(/for totalSteps but received 0/);
    expect(() => new ProgressDisplay({ totalSteps: 1, stream, mode: 'fancy' as never })).toThrow(/for progress but received "fancy"/);
  });
});
