/**
 * `mario-rl report` (src/run/report.ts, src/cli/report.ts): the page is self-contained (no URL
 * outside it, uPlot inline), has the sections the run's files call for and leaves out the others,
 * overlays several runs, caps the inlined GIFs and says what it left out, keeps `</script>` in the
 * data from closing the script; the command's bad input exits with 2 and a message naming the
 * flag or the folder. The page in a real browser: tests/run/report-browser.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { reportCommand } from '../../src/cli/report.js';
import { buildReport, configDifferences, REPORT_CHARTS } from '../../src/run/report.js';
import { readRun } from '../../src/run/run-reader.js';

const root = resolve(import.meta.dirname, '../..');
const fixture = resolve(import.meta.dirname, 'fixtures/tiny-run');
let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mario-rl-report-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the command in-process; returns its exit code and what it printed. */
async function report(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((m: string) => void out.push(m));
  vi.spyOn(console, 'error').mockImplementation((m: string) => void err.push(m));
  const code = await reportCommand.run(args);
  vi.restoreAllMocks();
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The `src`/`href` URLs of a page that are not data: URIs or in-page anchors. */
const outsideUrls = (html: string) => [...html.matchAll(/\b(?:src|href)\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1]!).filter((u) => !/^(data:|#)/.test(u));

describe('buildReport', () => {
  it('shows the machine.json a run wrote (CPU, cores, versions), and says when it is unreadable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mario-rl-report-machine-'));
    try {
      const run = join(dir, 'run');
      cpSync(fixture, run, { recursive: true });
      const machine = {
        host: 'box',
        cpu: 'Test CPU @ 3 GHz',
        cores: 2,
        memoryGiB: 7.8,
        os: 'linux 6.1 x64',
        node: 'v20.17.0',
        marioRl: '0.1.0',
        native: 'gcc 12',
        device: 'cpu',
      };
      writeFileSync(join(run, 'machine.json'), JSON.stringify(machine));
      const html = buildReport([readRun(run)]).html;
      expect(html).toContain('host box, Test CPU @ 3 GHz × 2 cores, 7.8 GiB, linux 6.1 x64, Node v20.17.0, mario-rl 0.1.0 (native: gcc 12), learner on cpu');
      writeFileSync(join(run, 'machine.json'), '{"host": "bo');
      expect(readRun(run).notes).toContain('machine.json: not JSON (truncated?); left out');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('one run: every section its files call for, uPlot and the GIFs inline, nothing from outside', () => {
    const r = buildReport([readRun(fixture)], { now: new Date('2026-12-07T08:00:00Z') });
    expect(outsideUrls(r.html)).toEqual([]);
    expect(r.html).toContain('uPlot');
    expect(r.html).toContain("default-src 'none'");
    for (const id of ['runs', 'curves', 'evals', 'curriculum', 'adaptive', 'hints', 'media', 'config']) expect(r.html, id).toContain(`id="${id}"`);
    // The fixture is a PPO run: no DQN charts.
    expect(r.charts).toEqual([
      'return',
      'max-x',
      'flag-rate',
      'losses',
      'entropy',
      'approx-kl',
      'clipfrac',
      'explained-variance',
      'sps',
      'learning-rate',
      'ent-coef',
      'curriculum-stage',
      'eval-flag-rate',
    ]);
    for (const id of r.charts) expect(r.html).toContain(`id="chart-${id}"`);
    expect(r.html).toMatch(/No values in any run for: Q values \(DQN\); Epsilon \(DQN\)/);
    expect(r.mediaIncluded.map((p) => p.split('/').at(-1))).toEqual(['probe-0000001024-1-1-worst.gif', 'probe-0000000256-1-1-best.gif']);
    expect(r.html.match(/src="data:image\/gif;base64,R0lGOD/g)).toHaveLength(2);
    // The eval table's last probe of 1-1, the hint escaped, the machine as far as it is known.
    expect(r.html).toMatch(/<td>1-1<\/td><td class="n">1024<\/td><td class="n">3<\/td>/);
    expect(r.html).toContain('entropy fell to 0.05 of its start &lt;in 6 updates&gt; &amp; the policy');
    expect(r.html).toContain('device cpu, 1 ORT threads, no GPU seen (nvidia-smi not found on PATH)');
    expect(r.html).toContain('2026-12-07T07:24:28.185Z');
    expect(r.notes).toEqual([]);
    const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(r.html)![1]!) as {
      x: Record<string, number[]>;
      charts: { id: string; lines: { label: string; y: number[] }[] }[];
    };
    expect(data.x['r0:step']).toEqual([128, 256, 384, 512, 640, 768, 896, 1024]);
    expect(data.charts.find((c) => c.id === 'max-x')!.lines.map((l) => l.label)).toEqual(['charts/max_x_p50', 'charts/max_x_p90']);
  });

  it('several runs overlaid, labelled by run; absent files leave their sections out', () => {
    const b = join(dir, 'b');
    cpSync(fixture, b, { recursive: true });
    for (const f of ['evals.jsonl', 'curriculum.jsonl', 'adaptive.jsonl', 'hints.jsonl']) rmSync(join(b, f));
    rmSync(join(b, 'media'), { recursive: true });
    const one = buildReport([readRun(b)]);
    for (const id of ['evals', 'curriculum', 'adaptive', 'media']) expect(one.html, id).not.toContain(`id="${id}"`);
    expect(one.html).toContain('none raised (no hints.jsonl)');
    writeFileSync(join(b, 'config.json'), readFileSync(join(fixture, 'config.json'), 'utf8').replace('"clipCoef": 0.2', '"clipCoef": 0.1'));
    expect(configDifferences([readRun(fixture), readRun(b)])).toEqual([{ key: 'ppo.clipCoef', values: ['0.2', '0.1'] }]);
    const both = buildReport([readRun(fixture), readRun(b)]);
    expect(both.html).toContain('What differs between the runs');
    const data = JSON.parse(/id="report-data">(.*?)<\/script>/s.exec(both.html)![1]!) as { charts: { id: string; lines: { label: string }[] }[] };
    expect(data.charts.find((c) => c.id === 'return')!.lines.map((l) => l.label)).toEqual(['tiny-run: charts/episodic_return', 'b: charts/episodic_return']);
    expect(both.html).toContain('id="evals"');
  });

  it('caps the GIFs (newest first) and says what it left out; thins long runs and says so', () => {
    const r = buildReport([readRun(fixture)], { maxMediaBytes: 25_000, maxPoints: 3 });
    expect(r.mediaIncluded.map((p) => p.split('/').at(-1))).toEqual(['probe-0000001024-1-1-worst.gif']);
    expect(r.mediaLeftOut.map((p) => p.split('/').at(-1))).toEqual(['probe-0000000256-1-1-best.gif']);
    expect(r.notes).toEqual([
      'curves draw 4 of 8 metrics rows (evenly spaced, the last included)',
      'left out 1 of 2 GIFs (0.0 MiB) over the 0.0 MiB cap (--max-media-mib): probe-0000000256-1-1-best.gif',
    ]);
    expect(r.html).toContain('left out 1 of 2 GIFs');
  });

  it('keeps a </script> in the data from closing its script element', () => {
    const run = join(dir, 'x');
    cpSync(fixture, run, { recursive: true });
    writeFileSync(join(run, 'evals.jsonl'), '{"global_step":1,"stage":"</script><script>alert(1)</script>","flag_rate":0.5}\n');
    const r = buildReport([readRun(run)]);
    expect(r.html).not.toContain('<script>alert(1)');
    expect(r.html.match(/<script/g)).toHaveLength(3);
  });

  it('checks its options', () => {
    const run = readRun(fixture);
    expect(() => buildReport([run], { maxMediaBytes: -1 })).toThrow(/^Expected an integer in \[0, .*\] for options\.maxMediaBytes but received -1$/);
    expect(() => buildReport([run], { maxPoint: 3 } as never)).toThrow(/Unknown option 'maxPoint'/);
    expect(() => buildReport([])).toThrow(/^Expected at least one run/);
    expect(REPORT_CHARTS.map((c) => c.id)).toContain('ent-coef');
  });
});

describe('mario-rl report', () => {
  it('writes the page and says what it wrote; notes a truncated last line on stderr', async () => {
    const run = join(dir, 'run');
    cpSync(fixture, run, { recursive: true });
    writeFileSync(join(run, 'metrics.jsonl'), readFileSync(join(fixture, 'metrics.jsonl'), 'utf8') + '{"global_step":1152,"upd');
    const out = join(dir, 'r.html');
    const r = await report(run, '--out', out, '--max-media-mib', '1');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^wrote .*r\.html \(\d+ KiB\): 1 run\(s\), 8 metrics rows, 13 charts, 2 GIFs$/);
    expect(r.err).toMatch(/^note: metrics\.jsonl: the last line is truncated .* read the 8 whole rows before it$/);
    expect(readFileSync(out, 'utf8')).toContain('the last line is truncated');
  });

  it.each([
    [['--out', 'x.html'], /Expected at least one run directory for RUN but received none/],
    [['RUN', '--bogus'], /unknown flag --bogus/],
    [['RUN', '--out', 'report.txt'], /Expected a file name ending in \.html or \.svg for --out but received 'report\.txt'/],
    [['RUN', '--charts', 'return,speed'], /Expected chart ids from return, max-x, .* for --charts but received 'speed'/],
    [['RUN', '--max-media-mib', 'lots'], /--max-media-mib must be an integer in \[0, 1024\] but is 'lots'/],
    [['RUN', '--watch', '0'], /--watch must be an integer in \[1, 3600\]/],
    [['RUN', '--out'], /flag --out needs a value/],
    [
      ['RUN', '--out', '/no/such/dir/r.html'],
      /Expected a file in an existing folder for --out but received '\/no\/such\/dir\/r\.html' \(no folder \/no\/such\/dir\)/,
    ],
  ])('bad usage %j: exit 2 with the usage', async (args, message) => {
    const r = await report(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain('usage: mario-rl report RUN');
  });

  it('--out FILE.svg: the chosen curves as one static SVG, runs overlaid with a legend; --charts picks the HTML curves too', async () => {
    const out = join(dir, 'curves.svg');
    const r = await report(fixture, fixture, '--out', out, '--charts', 'return,max-x,entropy,q-values');
    expect(r).toEqual({ code: 0, out: expect.stringMatching(/curves\.svg: 3 panels \(return, max-x, entropy\) from 2 run\(s\)$/), err: '' });
    const svg = readFileSync(out, 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="640" height="540"/);
    expect(svg.match(/<path /g)).toHaveLength(2 * (1 + 2 + 1));
    expect(svg).toContain('>' + join(fixture) + ': charts/max_x_p90</text>');
    const html = join(dir, 'r.html');
    expect((await report(fixture, '--out', html, '--charts', 'entropy')).out).toMatch(/, 2 charts, 2 GIFs$/);
  });

  it('a folder that is not a run: exit 2 naming it, nothing written', async () => {
    const out = join(dir, 'r.html');
    const r = await report(dir, '--out', out);
    expect(r).toEqual({
      code: 2,
      out: '',
      err: expect.stringMatching(/^mario-rl report: Expected a run directory with metrics\.jsonl for RUN but received '.*'/),
    });
    const two = await report(fixture, join(dir, 'missing'), '--out', out);
    expect(two.err).toMatch(/for RUN 2 but received '.*missing' \(no such folder\)/);
  });

  it('through the binary: exit codes 0 and 2', () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/index.ts'), ...args], { encoding: 'utf8', cwd: root });
    const ok = cli('report', fixture, `--out=${join(dir, 'report.html')}`);
    expect([ok.status, ok.stdout]).toEqual([0, expect.stringContaining(`wrote ${join(dir, 'report.html')}`)]);
    expect(cli('report', join(dir, 'nothing')).status).toBe(2);
  });

  it('--watch waits for the first row, rewrites the page as the run grows, the page reloads itself, Ctrl+C stops it with 0', async () => {
    const run = join(dir, 'run');
    const out = join(dir, 'watch.html');
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/index.ts'), 'report', run, '--out', out, '--watch', '1'], { cwd: root });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(ok()).toBe(true);
    };
    await until(() => stdout.includes('waiting for it: trying again every 1 s'));
    cpSync(fixture, run, { recursive: true });
    await until(() => stdout.includes('rewriting it every 1 s'));
    expect(existsSync(out) && readFileSync(out, 'utf8')).toContain('<meta http-equiv="refresh" content="1">');
    appendFileSync(join(run, 'metrics.jsonl'), '{"global_step":99999,"update":9,"charts/episodic_return":1}\n');
    await until(() => readFileSync(out, 'utf8').includes('99999'));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toContain('stopped watching');
  }, 30_000);
});
