/**
 * `mario-rl export-metrics RUN --out FILE [--format parquet|arrow|csv] [--evals FILE]`: a run's
 * metrics.jsonl (and evals.jsonl) as a table file (src/run/export-metrics.ts).
 */
import { join, resolve } from 'node:path';

import { EXPORT_FORMATS, exportRows, type ExportFormat, formatFromPath } from '../run/export-metrics.js';
import { readJsonl, readRun, RunReadError } from '../run/run-reader.js';
import { choiceFlag, outFileFlag, parseKnownFlags, UsageError } from './flags.js';

export const EXPORT_METRICS_USAGE = `usage: mario-rl export-metrics RUN --out FILE [--format parquet|arrow|csv] [--evals FILE]

Writes a run's metrics.jsonl as one table: a column per metric (float64; text for values that are
not numbers, objects as JSON), a row per update, null where a row has no value. For pandas
(pd.read_parquet), polars, DuckDB or a spreadsheet (CSV). A half-written last line is left out
with a note.

options:
  --out FILE         the file to write (required); its extension picks the format unless --format does
  --format F         ${EXPORT_FORMATS.join(', ')} (arrow: the Arrow IPC file format, a.k.a. Feather v2)
                     [default: from --out: .parquet, .arrow/.feather/.ipc, .csv]
  --evals FILE       also write the eval probes (evals.jsonl, a row per probe and stage) to FILE, same format
  -h, --help         print this help

example: mario-rl export-metrics runs/mario-rl --out metrics.parquet --evals evals.parquet`;

/** The `export-metrics` subcommand. */
export const exportMetricsCommand = {
  summary: "export a run's metrics (and eval probes) as Parquet, Arrow or CSV",
  async run(args: string[]): Promise<number> {
    let dir: string;
    let out: string;
    let format: ExportFormat;
    let evalsOut: string | undefined;
    try {
      const { flags, rest } = parseKnownFlags(args, { out: {}, format: {}, evals: {}, help: { boolean: true, short: 'h' } });
      if (flags.help) {
        console.log(EXPORT_METRICS_USAGE);
        return 0;
      }
      const unknown = rest.find((a) => a.startsWith('-'));
      if (unknown) throw new UsageError(`unknown flag ${unknown.split('=')[0]}`);
      if (rest.length !== 1)
        throw new UsageError(`Expected one run directory for RUN but received ${rest.length ? rest.map((r) => `'${r}'`).join(' ') : 'none'}`);
      dir = rest[0]!;
      if (!flags.out) throw new UsageError('--out is required');
      out = outFileFlag(flags.out, 'out');
      const implied = formatFromPath(out);
      if (flags.format !== undefined) format = choiceFlag(flags.format, 'format', EXPORT_FORMATS);
      else if (implied) format = implied;
      else throw new UsageError(`Expected --format or an --out ending in .parquet, .arrow, .feather, .ipc or .csv for --out but received '${out}'`);
      evalsOut = flags.evals === undefined ? undefined : outFileFlag(flags.evals, 'evals');
      if (evalsOut !== undefined && resolve(evalsOut) === resolve(out))
        throw new UsageError(`Expected another file than --out for --evals but received '${evalsOut}'`);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      console.error(`mario-rl export-metrics: ${err.message}\n\n${EXPORT_METRICS_USAGE}`);
      return 2;
    }
    let run;
    try {
      run = readRun(dir);
    } catch (err) {
      if (!(err instanceof RunReadError)) throw err;
      console.error(`mario-rl export-metrics: ${err.message}`);
      return 2;
    }
    const evals = evalsOut !== undefined ? readJsonl(join(dir, 'evals.jsonl')) : null;
    if (evalsOut !== undefined && !evals?.rows.length) {
      console.error(
        `mario-rl export-metrics: Expected a run with eval probes (evals.jsonl) for --evals but received '${dir}' (${evals ? 'evals.jsonl has no rows' : 'no evals.jsonl: run with --eval.episodes N'})`,
      );
      return 2;
    }
    for (const n of run.notes.filter((n) => n.startsWith('metrics.jsonl') || (evals && n.startsWith('evals.jsonl')))) console.error(`note: ${n}`);
    const columns = await exportRows(run.metrics, out, format);
    console.log(`wrote ${resolve(out)} (${format}): ${run.metrics.length} rows × ${columns} columns`);
    if (evals && evalsOut !== undefined) {
      const c = await exportRows(evals.rows, evalsOut, format);
      console.log(`wrote ${resolve(evalsOut)} (${format}): ${evals.rows.length} rows × ${c} columns`);
    }
    return 0;
  },
};
