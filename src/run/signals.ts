/**
 * Graceful shutdown for training loops. The first SIGINT/SIGTERM only sets a flag that the loop
 * polls: it then finishes (or abandons) the current update, writes `latest` and exits. A second
 * signal forces an immediate exit, for when the user really means it.
 *
 * ```ts
 * const shutdown = new ShutdownController().install();
 * while (!shutdown.stopRequested) {
 *   await collectRollout();
 *   if (shutdown.abandonUpdate) break;   // 'abandon-update' mode: skip the learner step
 *   await update();
 * }
 * store.saveLatest(header, sections);
 * shutdown.dispose();
 * process.exitCode = shutdown.exitCode;
 * ```
 */
import { constants } from 'node:os';

import { expectOneOf } from '../validate.js';

/** What a stop request does to the update in progress. */
export type ShutdownMode = 'finish-update' | 'abandon-update';

/** Why the run is stopping. */
export type StopReason = NodeJS.Signals | 'maxWallTime' | 'requested';

/** The subset of `process` the controller uses (injectable for tests). */
export interface SignalSource {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** Options of {@link ShutdownController}. */
export interface ShutdownControllerOptions {
  /** Signals handled. Default ['SIGINT', 'SIGTERM']. */
  signals?: NodeJS.Signals[];
  /** 'finish-update' (default: the update completes, then `latest` is written) or 'abandon-update' (the loop skips the rest of the update; `latest` holds the state before it). */
  mode?: ShutdownMode;
  /** Called on the first signal, e.g. to print "finishing the update; press Ctrl+C again to quit without saving". Default prints {@link requestMessage} to stderr. */
  onRequest?: (reason: StopReason) => void;
  /** Called on the second signal. Default: prints "quitting without saving" and the process dies of that signal (its default action). */
  onForceExit?: (signal: NodeJS.Signals) => void;
  /** Where signals come from. Default `process`. */
  source?: SignalSource;
}

/**
 * The default second-signal action: die of the signal itself, as if nothing handled it. A
 * `process.exit()` here would tear the runtime down while a native step or an onnxruntime run
 * may still complete, which can abort with a C++ exception; the signal's default action ends the
 * process at once with the conventional status (128 + signal number in a shell).
 */
function forceExit(signal: NodeJS.Signals): void {
  // Said before dying: a process that ends without a word after Ctrl+C looks like a crash.
  process.stderr.write(`\nmario-rl: ${signal} again: quitting without saving.\n`);
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // Should the signal not end the process (it is ignored by the parent), fall back to exit.
  setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 2)), 1000).unref();
}

/** What the default `onRequest` prints: what happens now, and for a signal how to quit at once. */
export function requestMessage(reason: StopReason, mode: ShutdownMode): string {
  const what = `${mode === 'finish-update' ? 'finishing the current update' : 'abandoning the current update'}, then saving 'latest'`;
  if (reason === 'maxWallTime' || reason === 'requested') return `mario-rl: stop ${reason === 'requested' ? 'requested' : 'at maxWallTime'}: ${what}.`;
  const again = reason === 'SIGINT' ? 'Press Ctrl+C again' : `Send ${reason} again`;
  return `mario-rl: ${reason} received: ${what}. ${again} to quit at once without saving.`;
}

/** Turns signals into a flag the training loop polls. */
export class ShutdownController {
  #signals: NodeJS.Signals[];
  #mode: ShutdownMode;
  #onRequest: (reason: StopReason) => void;
  #onForceExit: (signal: NodeJS.Signals) => void;
  #source: SignalSource;
  #reason: StopReason | null = null;
  #signalCount = 0;
  #installed = false;
  #abort = new AbortController();
  #listener = (signal: NodeJS.Signals) => this.#onSignal(signal);

  /** Creates the controller; call {@link install} to start listening. */
  constructor(options: ShutdownControllerOptions = {}) {
    this.#signals = options.signals ?? ['SIGINT', 'SIGTERM'];
    this.#mode = expectOneOf(options.mode ?? 'finish-update', 'mode', ['finish-update', 'abandon-update'] as const);
    this.#onRequest = options.onRequest ?? ((reason) => process.stderr.write(`\n${requestMessage(reason, this.#mode)}\n`));
    this.#onForceExit = options.onForceExit ?? forceExit;
    this.#source = options.source ?? process;
  }

  /** Starts listening (replacing Node's default exit-on-signal). */
  install(): this {
    if (!this.#installed) for (const s of this.#signals) this.#source.on(s, this.#listener);
    this.#installed = true;
    return this;
  }

  /** Stops listening; the process gets Node's default signal behaviour back. */
  dispose(): void {
    if (this.#installed) for (const s of this.#signals) this.#source.off(s, this.#listener);
    this.#installed = false;
  }

  #onSignal(signal: NodeJS.Signals): void {
    this.#signalCount++;
    if (this.#signalCount >= 2 || (this.#reason !== null && this.#reason === signal)) {
      this.#onForceExit(signal);
      return;
    }
    this.request(signal);
  }

  /** Asks the loop to stop (signals call this; the Trainer calls it for maxWallTime). The first reason wins. */
  request(reason: StopReason = 'requested'): void {
    if (this.#reason !== null) return;
    this.#reason = reason;
    this.#abort.abort(reason);
    this.#onRequest(reason);
  }

  /** True once a stop was requested: the loop should not start another update. */
  get stopRequested(): boolean {
    return this.#reason !== null;
  }

  /** True when a stop was requested in 'abandon-update' mode: drop the update in progress. */
  get abandonUpdate(): boolean {
    return this.#reason !== null && this.#mode === 'abandon-update';
  }

  /** The stop reason, or null. */
  get reason(): StopReason | null {
    return this.#reason;
  }

  /** The configured mode. */
  get mode(): ShutdownMode {
    return this.#mode;
  }

  /** Aborted on the first stop request (for awaits that should end early). */
  get abortSignal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Conventional exit status: 128 + signal number after a signal (130 for SIGINT), else 0. */
  get exitCode(): number {
    const r = this.#reason;
    if (r === null || r === 'maxWallTime' || r === 'requested') return 0;
    return 128 + (constants.signals[r] ?? 0);
  }
}
