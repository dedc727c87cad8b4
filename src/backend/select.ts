/**
 * Which emulator backend a `Nes` or `VecEnv` runs on: the native addon (C++, threaded, fast) or
 * jsnes (pure JavaScript, runs wherever Node does). The loader (native.ts) stays as it is; this
 * module calls it and, for `'auto'`, falls back to jsnes when it throws, warning once.
 *
 * Resolution: an explicit `'native'` or `'jsnes'` option wins; otherwise (`'auto'` or omitted)
 * `MARIO_RL_BACKEND=native|jsnes` forces one; otherwise native if the addon loads, else jsnes.
 */
import { loadNative, NativeLoadError } from '../native.js';
import { expectedMessage, expectOneOf } from '../validate.js';

/** The emulator backends. */
export const BACKENDS = ['native', 'jsnes'] as const;
/** A concrete backend. */
export type BackendName = (typeof BACKENDS)[number];
/** What `backend` options accept: a backend, or `'auto'` (native when its addon loads, else jsnes). */
export type BackendOption = BackendName | 'auto';
/** The environment variable that forces a backend where the option is `'auto'` or omitted. */
export const BACKEND_ENV = 'MARIO_RL_BACKEND';

/**
 * How much slower the jsnes backend is than the native one, as measured by `npm run bench:jsnes-env`
 * on CPU time against one native thread (docs/benchmarks.md); quoted in the fallback warning.
 */
export const JSNES_SLOWDOWN = '20-40 times (per CPU-second, against one native thread; more against several)';

let fallbackWarned = false;

/** The one warning printed when 'auto' falls back to jsnes (exported for tests). */
export function fallbackWarning(reason: string): string {
  return (
    `[mario-rl] the native addon did not load (${reason}), so the jsnes backend (pure JavaScript) is used: ` +
    `same API and observations, ${JSNES_SLOWDOWN} slower steps, single-threaded. ` +
    `Set ${BACKEND_ENV}=jsnes to choose it explicitly, or see docs/install.md to get the native addon.`
  );
}

/**
 * Resolves a `backend` option (naming it `name` in errors) to a concrete backend. For `'native'`
 * this loads the addon (throwing NativeLoadError when it cannot); for `'auto'` a load failure
 * selects jsnes with one console warning per process. `load` is the loader (tests pass a failing
 * one); it caches, so asking again costs nothing.
 */
export function resolveBackend(option: unknown, name = 'backend', load: () => unknown = loadNative): BackendName {
  const requested = option === undefined ? 'auto' : expectOneOf(option, name, ['auto', ...BACKENDS] as const);
  if (requested !== 'auto') {
    if (requested === 'native') loadNative();
    return requested;
  }
  const forced = process.env[BACKEND_ENV];
  if (forced !== undefined && forced !== '' && forced !== 'auto') {
    if (!(BACKENDS as readonly string[]).includes(forced)) {
      throw new RangeError(expectedMessage("'native', 'jsnes' or 'auto'", `the environment variable ${BACKEND_ENV}`, forced));
    }
    if (forced === 'native') loadNative();
    return forced as BackendName;
  }
  try {
    load();
    return 'native';
  } catch (err) {
    if (!(err instanceof NativeLoadError)) throw err;
    const fallbackReason = err.attempts.map((a) => `${a.path}: ${a.reason}`).join('; ') || err.message.split('\n')[0]!;
    if (!fallbackWarned) {
      fallbackWarned = true;
      console.warn(fallbackWarning(fallbackReason));
    }
    return 'jsnes';
  }
}

/**
 * Refuses a save state of the other backend with a clear message (each backend's own loader
 * checks its own format): `Invalid save state: …` naming `name` and the backend that wrote it.
 */
export function checkStateBackend(state: Uint8Array, backend: BackendName, name = 'state'): void {
  if (state.length < 4) return; // the backend's own loader reports the length
  const magic = String.fromCharCode(state[0]!, state[1]!, state[2]!, state[3]!);
  const writer = magic === 'MRNS' ? 'native' : magic === 'MRJS' ? 'jsnes' : undefined;
  if (writer !== undefined && writer !== backend) {
    throw new Error(
      `Invalid save state: ${name} was saved by the ${writer} backend (magic '${magic}'), and states do not carry ` +
        `across emulators; load it with backend: '${writer}', or save a new one on the ${backend} backend`,
    );
  }
}
