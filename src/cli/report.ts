/**
 * `mario-rl report RUN [RUN…] --out report.html`: one self-contained HTML page with a run's curves,
 * eval probes, curriculum, hints, GIFs and config, several runs overlaid (src/run/report.ts). With
 * `--watch N` it rewrites the page every N seconds until Ctrl+C, and the page reloads itself.
 */
import { resolve } from 'node:path';

import { writeFileAtomic } from '../run/atomic-file.js';
import { buildReport, REPORT_CHARTS, reportCharts } from '../run/report.js';
import { buildSvgReport } from '../run/report-svg.js';
import { readRun, RunReadError, type RunData } from '../run/run-reader.js';
import { intFlag, outFileFlag, parseKnownFlags, UsageError } from './flags.js';

export const REPORT_USAGE = `usage: mario-rl report RUN [RUN…] [--out FILE] [--charts IDS] [--max-media-mib N] [--watch SECONDS]

Writes one self-contained HTML page (no network: uPlot, the data and the GIFs are inline) for one
or more run directories, the runs overlaid: episodic return, max x p50/p90, flag rate, losses,
entropy, approx KL, clip fraction, explained variance, SPS, learning rate and entropy coefficient
against agent steps or wall time (zoomable); the eval probes per stage (evals.jsonl), the
curriculum's gate decisions (curriculum.jsonl), adaptive-schedule changes, hints raised, the GIFs
under RUN/media/, the machine, start and end time, and each run's config. Files a run does not
have are left out; a half-written last line is left out with a note. With --out FILE.svg it
draws the curves as one static SVG instead (for docs).

options:
  --out FILE           the page to write, .html (or .svg: the curves only) [default: report.html]
  --charts IDS         only these curves, comma-separated: ${REPORT_CHARTS.map((c) => c.id).join(', ')}
  --max-media-mib N    inline GIFs up to N MiB in all, newest first (0: none), 0…1024 [default: 8]
  --watch SECONDS      rewrite the page every SECONDS (1…3600) until Ctrl+C; the page reloads itself
                       (a run with no metrics row yet is waited for)
  -h, --help           print this help

examples: mario-rl report runs/mario-rl
          mario-rl report runs/a runs/b --out compare.html
          mario-rl report runs/smb-1-1 --out curves.svg --charts return,max-x,flag-rate,entropy`;

/** Runs labelled by folder name, or by the path as given where two share a folder name. */
function readRuns(dirs: readonly string[]): RunData[] {
  const runs = dirs.map((d, i) => readRun(d, dirs.length > 1 ? `RUN ${i + 1}` : 'RUN'));
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  for (const r of runs) if (counts.get(r.label)! > 1) r.label = r.dir;
  return runs;
}

/** The `report` subcommand. */
export const reportCommand = {
  summary: 'write one self-contained HTML page of one or more runs (curves, probes, curriculum, GIFs)',
  async run(args: string[]): Promise<number> {
    let out = 'report.html';
    let maxMediaMiB = 8;
    let watch = 0;
    let charts: string[] | undefined;
    let dirs: string[];
    try {
      const { flags, rest } = parseKnownFlags(args, {
        out: {},
        'max-media-mib': {},
        watch: {},
        charts: {},
        help: { boolean: true, short: 'h' },
      });
      if (flags.help) {
        console.log(REPORT_USAGE);
        return 0;
      }
      const unknown = rest.find((a) => a.startsWith('-'));
      if (unknown) throw new UsageError(`unknown flag ${unknown.split('=')[0]}`);
      if (flags.out !== undefined) {
        if (!/\.(html?|svg)$/i.test(flags.out)) throw new UsageError(`Expected a file name ending in .html or .svg for --out but received '${flags.out}'`);
        out = outFileFlag(flags.out, 'out');
      }
      if (flags['max-media-mib'] !== undefined) maxMediaMiB = intFlag(flags['max-media-mib'], 'max-media-mib', 0, 1024);
      if (flags.watch !== undefined) watch = intFlag(flags.watch, 'watch', 1, 3600);
      if (flags.charts !== undefined) {
        charts = flags.charts.split(',').map((c) => c.trim());
        try {
          reportCharts(charts, '--charts');
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
      }
      if (!rest.length) throw new UsageError('Expected at least one run directory for RUN but received none');
      dirs = rest;
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      console.error(`mario-rl report: ${err.message}\n\n${REPORT_USAGE}`);
      return 2;
    }
    /** Reads the runs and writes the file; `quiet` leaves out the notes, the 'wrote' line and read errors. */
    const write = (quiet: boolean): number => {
      let runs: RunData[];
      try {
        runs = readRuns(dirs);
      } catch (err) {
        if (!(err instanceof RunReadError)) throw err;
        if (!quiet) console.error(`mario-rl report: ${err.message}`);
        return 2;
      }
      if (/\.svg$/i.test(out)) {
        const svg = buildSvgReport(runs, charts ? reportCharts(charts, '--charts') : REPORT_CHARTS);
        writeFileAtomic(out, [new TextEncoder().encode(svg.svg)]);
        if (!quiet) console.log(`wrote ${resolve(out)}: ${svg.charts.length} panels (${svg.charts.join(', ')}) from ${runs.length} run(s)`);
        return 0;
      }
      const report = buildReport(runs, { maxMediaBytes: maxMediaMiB * 2 ** 20, ...(watch ? { refreshSeconds: watch } : {}), ...(charts ? { charts } : {}) });
      writeFileAtomic(out, [new TextEncoder().encode(report.html)]);
      if (!quiet) {
        for (const n of report.notes) console.error(`note: ${n}`);
        const rows = runs.reduce((s, r) => s + r.metrics.length, 0);
        const media = report.mediaIncluded.length ? `, ${report.mediaIncluded.length} GIFs` : '';
        console.log(
          `wrote ${resolve(out)} (${(report.html.length / 1024).toFixed(0)} KiB): ${runs.length} run(s), ${rows} metrics rows, ${report.charts.length} charts${media}`,
        );
      }
      return 0;
    };
    let written = write(false) === 0;
    if (!watch) return written ? 0 : 2;
    // Watching a run that has not written its first row yet (or a folder not made yet): wait for it.
    console.log(written ? `rewriting it every ${watch} s; Ctrl+C stops` : `waiting for it: trying again every ${watch} s; Ctrl+C stops`);
    return new Promise<number>((done) => {
      const timer = setInterval(() => {
        try {
          if (write(written) === 0 && !written) {
            written = true;
            console.log(`rewriting it every ${watch} s; Ctrl+C stops`);
          }
        } catch (err) {
          // A run being written can be caught between files; the next tick tries again.
          console.error(`mario-rl report: ${(err as Error).message} (trying again in ${watch} s)`);
        }
      }, watch * 1000);
      process.once('SIGINT', () => {
        clearInterval(timer);
        console.log('stopped watching');
        done(written ? 0 : 2);
      });
    });
  },
};
