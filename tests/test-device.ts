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

// The checks compare with float64 references at float32 tolerances. ORT's CUDA provider lets
// cuBLAS and cuDNN use TF32 (10-bit mantissa) for MatMul, Gemm and Conv on Ampere and later,
// which is a precision choice, not a bug in a graph: the checks turn it off (NVIDIA's documented
// switch, read when each process first creates a cuBLAS or cuDNN handle) unless the caller chose.
if (requested === 'cuda') process.env.NVIDIA_TF32_OVERRIDE ??= '0';

/** 'cpu' or 'cuda', from MARIO_RL_TEST_DEVICE. */
export const TEST_DEVICE: 'cpu' | 'cuda' = requested;

/** createSession options for checks: one intra-op thread, on TEST_DEVICE. */
export const TEST_SESSION = { intraOpNumThreads: 1, executionProviders: [TEST_DEVICE] };
