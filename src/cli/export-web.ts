/**
 * `mario-rl export-web`: writes a static site where a checkpoint's policy plays its game in the
 * browser (src/web/site.ts: jsnes, our TS preprocessing, onnxruntime-web on WASM). The run config
 * is the checkpoint's own (src/cli/checkpoint-config.ts). docs/web.md.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

import { writeWebSite } from '../web/site.js';
import { checkpointRunConfig, describeStage } from './checkpoint-config.js';
import { parseKnownFlags, UsageError } from './flags.js';

export const EXPORT_WEB_USAGE = `usage: mario-rl export-web --checkpoint FILE --out DIR [--overwrite] [run-config flags]

Writes a static site into DIR where the checkpoint's policy plays its game in a web page: the game
on jsnes, observations by our TypeScript preprocessing, the policy on onnxruntime-web (WASM,
single-threaded). Every file the page loads is in DIR (no CDN); serve DIR with any static file
server (e.g. python3 -m http.server -d DIR) and open it. Browsers do not run WebAssembly from
file:// pages, so open it through a server. The page shows the action probabilities, the value
estimate, the frame counter and the episode return; keys pause, step, reset, speed up and switch
to keyboard play. docs/web.md.

options:
  --checkpoint FILE  the checkpoint, e.g. runs/mario-rl/checkpoints/latest.ckpt (required)
  --out DIR          the folder to write (created when missing; must be empty unless --overwrite)
  --overwrite        write into a folder that already has files (they are replaced)
  -h, --help         print this help

The policy must see pixels (env.obs pixels). The built-in game's ROM is written into DIR; for
Super Mario Bros. (env.game smb1) no ROM is written: the page asks for the user's own file and
checks it as the env does. Run-config flags override the checkpoint's config as in mario-rl play
(e.g. --env.stage 2).`;

/** The `export-web` subcommand. */
export const exportWebCommand = {
  summary: "write a static web page where a checkpoint's policy plays in the browser",
  run(args: string[]): number {
    let checkpoint: string;
    let outDir: string;
    let run;
    try {
      const { flags, rest } = parseKnownFlags(args, { checkpoint: {}, out: {}, overwrite: { boolean: true }, help: { boolean: true, short: 'h' } });
      if (flags.help) {
        console.log(EXPORT_WEB_USAGE);
        return 0;
      }
      if (!flags.checkpoint) throw new UsageError('--checkpoint is required');
      if (!flags.out) throw new UsageError('--out is required');
      checkpoint = flags.checkpoint;
      outDir = resolve(flags.out);
      if (existsSync(outDir)) {
        if (!statSync(outDir).isDirectory()) throw new UsageError(`Expected a folder for --out but received '${flags.out}', a file`);
        if (flags.overwrite !== 'true' && readdirSync(outDir).length > 0)
          throw new UsageError(`Expected an empty or new folder for --out but received '${flags.out}', which has files (pass --overwrite to replace them)`);
      }
      run = checkpointRunConfig(checkpoint, rest);
      if (run.rest.length) throw new UsageError(`unexpected argument '${run.rest[0]}'`);
    } catch (err) {
      if (!(err instanceof UsageError || err instanceof TypeError || err instanceof RangeError)) throw err;
      console.error(`mario-rl export-web: ${err.message}\n\n${EXPORT_WEB_USAGE}`);
      return 2;
    }
    let result;
    try {
      result = writeWebSite({ checkpoint, config: run.config, globalStep: run.globalStep, trainedOn: describeStage(run.config), outDir });
    } catch (err) {
      if (!(err instanceof TypeError || err instanceof RangeError)) throw err;
      console.error(`mario-rl export-web: ${err.message}\n\n${EXPORT_WEB_USAGE}`);
      return 2;
    }
    const total = result.files.reduce((a, f) => a + f.bytes, 0);
    console.log(
      `wrote ${outDir} (${result.files.length} files, ${(total / 1024 / 1024).toFixed(1)} MiB): ${result.site.network} policy (step ${run.globalStep}) on ${describeStage(run.config)}; serve it with any static file server, e.g. python3 -m http.server -d ${outDir}`,
    );
    return 0;
  },
};
