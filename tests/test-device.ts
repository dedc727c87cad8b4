/**
 * The device the graph, model and learner checks run on. Unset (or `cpu`): the CPU execution
 * provider. `MARIO_RL_TEST_DEVICE=cuda` reruns the same checks on the CUDA execution provider on
 * a GPU machine (docs/gpu.md, "Checking a GPU machine"); ORT places any op its CUDA provider
 * lacks on the CPU, as it would in training.
 */
const requested = process.env.MARIO_RL_TEST_DEVICE || 'cpu';
if (requested !== 'cpu' && requested !== 'cuda') {
  throw new Error(`Expected 'cpu' or 'cuda' for MARIO_RL_TEST_DEVICE but received '${requested}'`);
}

/** 'cpu' or 'cuda', from MARIO_RL_TEST_DEVICE. */
export const TEST_DEVICE: 'cpu' | 'cuda' = requested;

/** createSession options for checks: one intra-op thread, on TEST_DEVICE. */
export const TEST_SESSION = { intraOpNumThreads: 1, executionProviders: [TEST_DEVICE] };
