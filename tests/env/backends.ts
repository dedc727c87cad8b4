/**
 * The VecEnv backends a suite that needs no native-only feature runs on (STYLE.md house rule 6:
 * one suite, every backend): `describe.each(ENV_BACKENDS)`. jsnes is tens of times slower than
 * the native core, so such suites keep their runs short.
 */
export const ENV_BACKENDS = ['native', 'jsnes'] as const;

/** One of ENV_BACKENDS. */
export type EnvBackend = (typeof ENV_BACKENDS)[number];
