/**
 * Training progress for people: a redrawn bar on a TTY (`[#####-----] 45.0% 2.25M/5.00M steps |
 * 1,234 SPS | ETA 0:41:10 | return 123.4`), plain lines at a fixed interval otherwise (logs, CI,
 * pipes). SPS is measured over the recent updates, so the ETA follows the current speed.
 */
import { expectInteger, expectNumber, expectOneOf } from '../validate.js';

/** Where progress goes: any writable with an optional TTY flag and width. */
export interface ProgressStream {
  write(chunk: string): unknown;
  /** True for terminals. */
  isTTY?: boolean;
  /** Terminal width in characters. */
  columns?: number;
}

/** Options of {@link ProgressDisplay}. */
export interface ProgressOptions {
  /** Agent steps of the whole run (for percent and ETA). */
  totalSteps: number;
  /** Output. Default `process.stderr`. */
  stream?: ProgressStream;
  /** 'auto' (bar on a TTY, lines otherwise), 'bar', 'plain' or 'off'. Default 'auto'. */
  mode?: 'auto' | 'bar' | 'plain' | 'off';
  /** Minimum ms between plain lines. Default 10000. */
  plainIntervalMs?: number;
  /** Minimum ms between bar redraws. Default 100. */
  barIntervalMs?: number;
  /** Updates over which SPS is averaged. Default 10. */
  speedWindow?: number;
  /** Clock in ms (injectable for tests). Default `performance.now`. */
  now?: () => number;
}

/** One progress report, usually once per update. */
export interface ProgressUpdate {
  /** Agent steps so far (global, including steps before a resume). */
  step: number;
  /** Recent mean episode return, if any episode finished. */
  episodeReturn?: number;
  /** Recent flag rate in [0, 1], if known. */
  flagRate?: number;
}

/** `3725` → `1:02:05`; `59` → `0:59`; non-finite → `--:--`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** `2_250_000` → `2.25M`, `12_300` → `12.3k`, `999` → `999`. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** The status text after the bar: steps, SPS, ETA, return, flag rate. */
export function formatStatus(step: number, totalSteps: number, sps: number, update: ProgressUpdate): string {
  return statusParts(step, totalSteps, sps, update).join(' | ');
}

function statusParts(step: number, totalSteps: number, sps: number, update: ProgressUpdate): string[] {
  const parts = [
    `${formatCount(step)}/${formatCount(totalSteps)} steps`,
    `${Number.isFinite(sps) ? Math.round(sps).toLocaleString('en-US') : '--'} SPS`,
    `ETA ${formatDuration(sps > 0 ? (totalSteps - step) / sps : NaN)}`,
  ];
  if (update.episodeReturn !== undefined && Number.isFinite(update.episodeReturn)) parts.push(`return ${update.episodeReturn.toFixed(1)}`);
  if (update.flagRate !== undefined && Number.isFinite(update.flagRate)) parts.push(`flag ${(update.flagRate * 100).toFixed(0)}%`);
  return parts;
}

/** A `[####----]` bar of `width` characters inside the brackets. */
export function formatBar(fraction: number, width: number): string {
  const f = Math.min(Math.max(fraction, 0), 1);
  const filled = Math.round(f * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/**
 * One bar line that fits in `columns - 1` characters. What gives way, in order, when it does not:
 * the bar shrinks (40 down to 10), the SPS goes, the bar goes, the step count goes; only then is
 * the line cut. ETA, return and flag rate, what a reader watches, stay longest.
 */
export function formatBarLine(fraction: number, parts: readonly string[], columns: number): string {
  const max = Math.max(columns - 1, 1);
  const percent = `${(Math.min(Math.max(fraction, 0), 1) * 100).toFixed(1).padStart(5)}%`;
  let kept = [...parts];
  const tryFit = (withBar: boolean): string | undefined => {
    const text = `${percent} ${kept.join(' | ')}`;
    if (!withBar) return text.length <= max ? text : undefined;
    const barWidth = Math.min(40, max - text.length - 3);
    return barWidth >= 10 ? `${formatBar(fraction, barWidth)} ${text}` : undefined;
  };
  const steps: [RegExp | null, boolean][] = [
    [null, true],
    [/ SPS$/, true],
    [null, false],
    [/ steps$/, false],
  ];
  for (const [drop, withBar] of steps) {
    if (drop) kept = kept.filter((p) => !drop.test(p));
    const line = tryFit(withBar);
    if (line !== undefined) return line;
  }
  return `${percent} ${kept.join(' | ')}`.slice(0, max);
}

/** Progress bar or lines, depending on the stream. */
export class ProgressDisplay {
  #total: number;
  #stream: ProgressStream;
  #mode: 'bar' | 'plain' | 'off';
  #plainInterval: number;
  #barInterval: number;
  #window: number;
  #now: () => number;
  #samples: { t: number; step: number }[] = [];
  #lastDraw = -Infinity;
  #barShown = false;
  #last: ProgressUpdate | null = null;
  #lastDrawn: ProgressUpdate | null = null;

  /** Chooses the mode from the options and the stream. */
  constructor(options: ProgressOptions) {
    this.#total = expectInteger(options.totalSteps, 'totalSteps', 1, Number.MAX_SAFE_INTEGER);
    this.#stream = options.stream ?? process.stderr;
    const mode = expectOneOf(options.mode ?? 'auto', 'progress', ['auto', 'bar', 'plain', 'off'] as const);
    this.#mode = mode === 'auto' ? (this.#stream.isTTY ? 'bar' : 'plain') : mode;
    this.#plainInterval = expectNumber(options.plainIntervalMs ?? 10_000, 'plainIntervalMs', 0);
    this.#barInterval = expectNumber(options.barIntervalMs ?? 100, 'barIntervalMs', 0);
    this.#window = expectInteger(options.speedWindow ?? 10, 'speedWindow', 1, 10_000);
    this.#now = options.now ?? (() => performance.now());
  }

  /** The mode in use. */
  get mode(): 'bar' | 'plain' | 'off' {
    return this.#mode;
  }

  /** Agent steps per second over the recent updates (NaN until two reports). */
  get stepsPerSecond(): number {
    const s = this.#samples;
    if (s.length < 2) return NaN;
    const a = s[0];
    const b = s[s.length - 1];
    return b.t > a.t ? ((b.step - a.step) * 1000) / (b.t - a.t) : NaN;
  }

  /** Reports progress; draws when the interval allows. */
  update(update: ProgressUpdate): void {
    const t = this.#now();
    this.#samples.push({ t, step: update.step });
    if (this.#samples.length > this.#window + 1) this.#samples.shift();
    this.#last = update;
    if (this.#mode === 'off') return;
    const interval = this.#mode === 'bar' ? this.#barInterval : this.#plainInterval;
    if (t - this.#lastDraw < interval && update.step < this.#total) return;
    this.#lastDraw = t;
    this.#draw(update);
  }

  #draw(update: ProgressUpdate): void {
    this.#lastDrawn = update;
    const fraction = update.step / this.#total;
    const parts = statusParts(update.step, this.#total, this.stepsPerSecond, update);
    if (this.#mode === 'plain') {
      this.#stream.write(`${(fraction * 100).toFixed(1)}% ${parts.join(' | ')}\n`);
      return;
    }
    this.#stream.write(`\r\x1b[2K${formatBarLine(fraction, parts, this.#stream.columns ?? 80)}`);
    this.#barShown = true;
  }

  /** Prints a message on its own line without garbling the bar (the bar is redrawn below it). */
  log(message: string): void {
    if (this.#mode === 'off') return;
    if (this.#barShown) this.#stream.write('\r\x1b[2K');
    this.#stream.write(`${message}\n`);
    if (this.#barShown && this.#last) this.#draw(this.#last);
  }

  /** Draws the final state (unless a plain line already shows it) and ends the line (call once at the end of training). */
  finish(message?: string): void {
    if (this.#mode === 'off') return;
    if (this.#last && (this.#mode === 'bar' || this.#last !== this.#lastDrawn)) this.#draw(this.#last);
    if (this.#barShown) this.#stream.write('\n');
    this.#barShown = false;
    if (message) this.#stream.write(`${message}\n`);
  }
}
