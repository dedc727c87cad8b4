// Fuzz target for the ROM loader plus a few dozen frames of execution.
//
// LLVMFuzzerTestOneInput is the libFuzzer entry point (build with -DMARIO_RL_LIBFUZZER and
// -fsanitize=fuzzer,address,undefined; AFL++ drives the same function through its libFuzzer
// shim). Without that define this file also has its own main(): a deterministic driver that
// mutates a generated corpus of valid and invalid iNES/NES 2.0 images with mario_rl::Rng, so the
// harness builds and runs with g++ alone (scripts/fuzz.sh, docs/fuzzing.md).
//
// What counts as a bug: any sanitizer report, any crash, or any exception other than
// mario_rl::Error (bad input must be reported with our error type, never anything else).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/rng.h"
#include "nes/console.h"
#include "nes/rom.h"

namespace {

using mario_rl::nes::Console;
using mario_rl::nes::ConsoleOptions;
using mario_rl::nes::PowerOnRam;

// Also feed LoadState states whose header is intact but whose body is garbage (driver option
// --corrupt-states, or MARIO_RL_FUZZ_CORRUPT_STATES=1 under libFuzzer/AFL++).
bool g_corrupt_states = std::getenv("MARIO_RL_FUZZ_CORRUPT_STATES") != nullptr;
// Outcomes of the crafted (re-sealed) states, printed by the driver so a run shows that both the
// field checks and the accepted-and-run path were exercised.
uint64_t g_crafted_rejected = 0, g_crafted_ran = 0;
// Images that parsed and frames run, printed by the driver (how much of a run was execution).
uint64_t g_parsed = 0, g_frames = 0;

// Frames per parsed image: kMinFrames + a data byte % kFrameSpan (driver option --frames MIN-MAX,
// or MARIO_RL_FUZZ_FRAMES=MIN-MAX under libFuzzer/AFL++). Emulation is nearly all of an input's
// cost, and past the first frames random PRG rarely reaches code it has not reached already; the
// coverage measured per frame budget is in docs/fuzzing.md (bench/fuzz.ts).
int g_min_frames = 12, g_frame_span = 24;
// A reset every kResetPeriod frames (first at frame 5), so every run of kMinFrames or more resets
// once and longer runs again.
constexpr int kResetPeriod = 16;

// Parses "MIN-MAX" (1 <= MIN <= MAX <= 100000) into the globals above; false when malformed.
bool SetFrames(const char* text) {
  char* end = nullptr;
  const long min = std::strtol(text, &end, 10);
  if (end == text || *end != '-') return false;
  const char* rest = end + 1;
  const long max = std::strtol(rest, &end, 10);
  if (end == rest || *end != '\0' || min < 1 || max < min || max > 100000) return false;
  g_min_frames = static_cast<int>(min);
  g_frame_span = static_cast<int>(max - min + 1);
  return true;
}

const bool g_frames_from_env = [] {
  const char* frames = std::getenv("MARIO_RL_FUZZ_FRAMES");
  if (frames != nullptr && !SetFrames(frames)) {
    std::fprintf(
        stderr, "rom_fuzz: Expected MIN-MAX (1 <= MIN <= MAX <= 100000) for MARIO_RL_FUZZ_FRAMES but received \"%s\"\n",
        frames);
    std::exit(2);
  }
  return frames != nullptr;
}();

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "rom_fuzz: BUG: %s: %s\n", what, detail.c_str());
  std::abort();
}

// Runs a parsed ROM for g_min_frames.. frames with inputs taken from the data, exercising
// rendering on and off, resets, save/load round trips, rejected states, the trace facility and
// side-effect-free peeks.
void Exercise(std::shared_ptr<const mario_rl::nes::Rom> rom, const uint8_t* data, size_t size) {
  ConsoleOptions options;
  options.power_on_ram = static_cast<PowerOnRam>(data[size - 1] % 3);
  options.seed = size;
  Console console(rom, options);
  // Two data bytes, so spans above 256 frames are reachable too.
  const int frames = g_min_frames + static_cast<int>((data[size / 2] | (data[size / 3] << 8)) % g_frame_span);
  ++g_parsed;
  g_frames += static_cast<uint64_t>(frames);
  std::vector<uint8_t> state(console.StateSize());
  for (int f = 0; f < frames; ++f) {
    const uint8_t buttons = data[(static_cast<size_t>(f) * 7919) % size];
    console.StepFrame(buttons, (f & 3) != 0);
    if (f == frames / 2) {
      console.SaveState(state.data());
      console.LoadState(state.data(), state.size());
      try {
        console.LoadState(state.data(), state.size() / 2);
        Fail("LoadState", "accepted a truncated state");
      } catch (const mario_rl::Error&) {
      }
    }
    if (f % kResetPeriod == 5) console.Reset();
  }
  if (!g_corrupt_states) return;
  // A state whose header is intact but whose body is garbage must not crash or hang the console:
  // the checksum rejects it; sealed again (a crafted state), CheckConsoleState rejects it or the
  // machine keeps running within bounds. Half the flips land in the first 256 body bytes, where
  // the CPU/PPU registers and clocks live.
  console.SaveState(state.data());
  const std::vector<uint8_t> good = state;
  const size_t flips = 1 + data[0] % 64;  // few flips: often only RAM, so also states that load
  for (size_t i = 0; i < flips && 32 + i < state.size(); ++i) {
    const size_t span = (i & 1) ? std::min<size_t>(256, state.size() - 32) : state.size() - 32;
    const size_t at = 32 + (static_cast<size_t>(data[i % size]) * 2654435761u + i * 40503u) % span;
    state[at] ^= static_cast<uint8_t>(data[(i * 13) % size] | 1);
  }
  if (state != good) {
    try {
      console.LoadState(state.data(), state.size());
      Fail("LoadState", "accepted a state whose body checksum does not match");
    } catch (const mario_rl::Error&) {
    }
  }
  mario_rl::nes::SealState(state.data(), state.size());
  bool accepted = true;
  try {
    console.LoadState(state.data(), state.size());
  } catch (const mario_rl::Error&) {
    accepted = false;
    ++g_crafted_rejected;
  }
  // Accepted or not (a rejected load changed nothing), the console runs on within bounds.
  for (int f = 0; f < 3; ++f) console.StepFrame(data[f % size], true);
  if (accepted) ++g_crafted_ran;
  console.LoadState(good.data(), good.size());
  for (int i = 0; i < 16; ++i) {
    (void)console.TraceLine();
    console.StepInstruction();
  }
  uint32_t sum = 0;
  for (uint32_t address = 0; address < 0x10000; address += 97) sum += console.Peek(static_cast<uint16_t>(address));
  const uint8_t* frame = console.Frame();
  for (int i = 0; i < mario_rl::nes::kFrameWidth * mario_rl::nes::kFrameHeight; i += 61) {
    if (frame[i] > 63) Fail("Frame", "palette index above 63");
  }
  (void)sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::shared_ptr<const mario_rl::nes::Rom> rom;
  try {
    rom = mario_rl::nes::ParseRom(data, size);
  } catch (const mario_rl::Error&) {
    return 0;  // rejected with a message: the expected outcome for bad images
  } catch (const std::exception& e) {
    Fail("ParseRom threw a non-mario_rl exception", e.what());
  }
  if (size == 0) Fail("ParseRom", "accepted an empty image");
  try {
    Exercise(rom, data, size);
  } catch (const mario_rl::Error&) {
    // A core error on a valid image (e.g. a state check) is reported, not a crash.
  } catch (const std::exception& e) {
    Fail("execution threw a non-mario_rl exception", e.what());
  }
  return 0;
}

#ifndef MARIO_RL_LIBFUZZER

#include <chrono>
#include <csignal>

#include <unistd.h>

namespace {

using Bytes = std::vector<uint8_t>;

Bytes Header(int mapper, int prg_banks, int chr_banks, uint8_t flags6 = 0, uint8_t flags7 = 0) {
  Bytes h(16, 0);
  h[0] = 'N';
  h[1] = 'E';
  h[2] = 'S';
  h[3] = 0x1A;
  h[4] = static_cast<uint8_t>(prg_banks);
  h[5] = static_cast<uint8_t>(chr_banks);
  h[6] = static_cast<uint8_t>(((mapper & 0x0F) << 4) | flags6);
  h[7] = static_cast<uint8_t>((mapper & 0xF0) | flags7);
  return h;
}

// A cartridge with random PRG (so execution wanders through arbitrary opcodes and register
// writes) whose vectors point into PRG, and random CHR.
Bytes Cartridge(mario_rl::Rng& rng, int mapper, int prg_banks, int chr_banks, uint8_t flags6 = 0, uint8_t flags7 = 0) {
  Bytes rom = Header(mapper, prg_banks, chr_banks, flags6, flags7);
  if (flags6 & 0x04) {
    for (int i = 0; i < 512; ++i) rom.push_back(static_cast<uint8_t>(rng.NextU32()));
  }
  const size_t prg_start = rom.size();
  const size_t prg_size = static_cast<size_t>(prg_banks) * 0x4000;
  for (size_t i = 0; i < prg_size; ++i) rom.push_back(static_cast<uint8_t>(rng.NextU32()));
  // Every 16 KiB bank ends with vectors into $8000-$FFFF.
  for (size_t bank = 0; bank < static_cast<size_t>(prg_banks); ++bank) {
    uint8_t* v = &rom[prg_start + bank * 0x4000 + 0x3FFA];
    for (int i = 0; i < 3; ++i) {
      v[2 * i] = static_cast<uint8_t>(rng.NextU32());
      v[2 * i + 1] = static_cast<uint8_t>(0x80 | rng.NextBelow(0x80));
    }
  }
  const size_t chr_size = static_cast<size_t>(chr_banks) * 0x2000;
  for (size_t i = 0; i < chr_size; ++i) rom.push_back(static_cast<uint8_t>(rng.NextU32()));
  return rom;
}

std::vector<Bytes> SeedCorpus(mario_rl::Rng& rng) {
  std::vector<Bytes> corpus;
  corpus.push_back(Cartridge(rng, 0, 1, 1));        // NROM-128
  corpus.push_back(Cartridge(rng, 0, 2, 0, 0x01));  // NROM-256, CHR-RAM, vertical
  corpus.push_back(Cartridge(rng, 1, 8, 0, 0x02));  // MMC1, battery PRG-RAM
  corpus.push_back(Cartridge(rng, 1, 4, 2));        // MMC1 with CHR-ROM
  corpus.push_back(Cartridge(rng, 2, 4, 0));        // UxROM
  corpus.push_back(Cartridge(rng, 3, 2, 4));        // CNROM
  corpus.push_back(Cartridge(rng, 4, 8, 8));        // MMC3
  corpus.push_back(Cartridge(rng, 4, 4, 0, 0x08));  // MMC3, CHR-RAM, four-screen
  corpus.push_back(Cartridge(rng, 7, 8, 0));        // AxROM
  corpus.push_back(Cartridge(rng, 0, 1, 1, 0x04));  // trainer
  Bytes nes2 = Cartridge(rng, 4, 2, 2, 0, 0x08);    // NES 2.0 header
  nes2[10] = 0x07;                                  // 8 KiB PRG-RAM
  nes2[11] = 0x07;                                  // 8 KiB CHR-RAM
  corpus.push_back(nes2);
  corpus.push_back(Header(0, 1, 1));  // header only: truncated
  corpus.push_back(Header(5, 1, 1));  // unsupported mapper
  Bytes bad_magic = Cartridge(rng, 0, 1, 1);
  bad_magic[3] = 0x1B;
  corpus.push_back(bad_magic);
  Bytes exp = Header(0, 0xFF, 0, 0, 0x08);  // NES 2.0 exponent size form
  exp[9] = 0x0F;
  corpus.push_back(exp);
  corpus.push_back(Bytes{});
  return corpus;
}

Bytes Mutate(const Bytes& in, mario_rl::Rng& rng) {
  Bytes out = in;
  const uint32_t edits = 1 + rng.NextBelow(8);
  for (uint32_t e = 0; e < edits; ++e) {
    switch (rng.NextBelow(7)) {
      case 0:  // flip a bit, biased to the header
        if (!out.empty()) {
          const size_t i = rng.NextBelow(2) ? rng.NextBelow(static_cast<uint32_t>(std::min<size_t>(16, out.size())))
                                            : rng.NextBelow(static_cast<uint32_t>(out.size()));
          out[i] ^= static_cast<uint8_t>(1u << rng.NextBelow(8));
        }
        break;
      case 1:  // set a header byte to an interesting value
        if (out.size() > 4) {
          static const uint8_t kValues[] = {0x00, 0x01, 0x02, 0x08, 0x0F, 0x10, 0x40, 0x7F, 0x80, 0xF0, 0xFF};
          out[4 + rng.NextBelow(static_cast<uint32_t>(std::min<size_t>(12, out.size() - 4)))] =
              kValues[rng.NextBelow(sizeof(kValues))];
        }
        break;
      case 2:  // truncate
        if (!out.empty()) out.resize(rng.NextBelow(static_cast<uint32_t>(out.size())));
        break;
      case 3:  // append random bytes
        for (uint32_t n = 1 + rng.NextBelow(600); n > 0; --n) out.push_back(static_cast<uint8_t>(rng.NextU32()));
        break;
      case 4:  // overwrite a random run
        if (!out.empty()) {
          const size_t at = rng.NextBelow(static_cast<uint32_t>(out.size()));
          for (size_t n = 1 + rng.NextBelow(64); n > 0 && at + n <= out.size(); --n) {
            out[at + n - 1] = static_cast<uint8_t>(rng.NextU32());
          }
        }
        break;
      case 5:  // change the mapper nibbles
        if (out.size() >= 8) {
          out[6] = static_cast<uint8_t>((out[6] & 0x0F) | (rng.NextBelow(16) << 4));
          out[7] = static_cast<uint8_t>((out[7] & 0x0F) | (rng.NextBelow(2) ? 0 : rng.NextBelow(16) << 4));
        }
        break;
      default:  // keep as is (execution varies through other edits' knock-on effects)
        break;
    }
  }
  return out;
}

// A hash of one input (FNV-1a over 8-byte words: cheap beside the input's frames). The driver
// prints the XOR of its inputs' hashes: order-free, so the digest of a run equals the XOR of the
// digests of its parts (--skip continues a stream exactly; tests/nes/fuzz.test.ts).
uint64_t InputHash(const Bytes& input) {
  uint64_t h = 0xcbf29ce484222325ull ^ input.size();
  size_t i = 0;
  for (; i + 8 <= input.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, input.data() + i, 8);
    h = (h ^ word) * 0x100000001b3ull;
  }
  for (; i < input.size(); ++i) h = (h ^ input[i]) * 0x100000001b3ull;
  return h;
}

// Proves the sanitizers are compiled in: a one-past-the-end heap read that ASan must report.
int SanitizerSelfTest() {
  std::vector<uint8_t> buffer(16, 1);
  volatile const uint8_t* p = buffer.data();
  std::printf("rom_fuzz: self-test read %d\n", p[buffer.size()]);
  return 0;
}

// Per-input watchdog: an input that runs longer than this is a hang, reported like a crash.
unsigned g_input_timeout_s = 10;

void OnTimeout(int) {
  static const char kMessage[] = "rom_fuzz: BUG: one input ran past the per-input timeout (hang)\n";
  (void)!write(2, kMessage, sizeof kMessage - 1);
  std::abort();
}

int Usage() {
  std::fprintf(stderr,
               "usage: rom_fuzz [--seed N] [--seconds S] [--iterations N] [--skip N] [--timeout S]\n"
               "                [--frames MIN-MAX] [--corrupt-states]\n"
               "       rom_fuzz --sanitizer-self-test\n"
               "  Mutates a generated corpus of iNES/NES 2.0 images and runs each through\n"
               "  LLVMFuzzerTestOneInput. Stops after S seconds (default 20) or N inputs.\n"
               "  --skip N: start at input N of the seed's stream (continues a stopped run).\n"
               "  --frames: frames each parsed image runs, chosen from its data (default 12-35).\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 1;
  double seconds = 20;
  uint64_t iterations = UINT64_MAX;
  uint64_t skip = 0;
  if (argc == 2 && std::string(argv[1]) == "--sanitizer-self-test") return SanitizerSelfTest();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--corrupt-states") {
      g_corrupt_states = true;
      continue;
    }
    if (i + 1 >= argc) return Usage();
    if (arg == "--timeout") {
      g_input_timeout_s = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    } else if (arg == "--seed") {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--seconds") {
      seconds = std::strtod(argv[++i], nullptr);
    } else if (arg == "--iterations") {
      iterations = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--skip") {
      skip = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--frames") {
      if (!SetFrames(argv[++i])) {
        std::fprintf(stderr,
                     "rom_fuzz: Expected MIN-MAX (1 <= MIN <= MAX <= 100000) for --frames but received \"%s\"\n",
                     argv[i]);
        return 2;
      }
    } else {
      return Usage();
    }
  }
  mario_rl::Rng rng(seed);
  const std::vector<Bytes> corpus = SeedCorpus(rng);
  const auto start = std::chrono::steady_clock::now();
  // --skip: the first inputs of the seed's stream are generated (the stream stays the same) but not
  // run, so a stopped long run continues where it stopped.
  for (uint64_t i = corpus.size(); i < skip; ++i)
    (void)Mutate(corpus[rng.NextBelow(static_cast<uint32_t>(corpus.size()))], rng);
  std::string from;
  if (skip > 0) from = " from input " + std::to_string(skip);
  uint64_t runs = 0, digest = 0;
  double next_progress_s = 60;
  // Seeds first, unmutated, then mutants of random seeds.
  for (; runs < iterations; ++runs) {
    const uint64_t index = skip + runs;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed >= seconds) break;
    // A progress line a minute, so a long run shows its rate and how far it got before any failure.
    if (elapsed >= next_progress_s) {
      std::printf("rom_fuzz: %llu inputs%s after %.0f s\n", static_cast<unsigned long long>(runs), from.c_str(),
                  elapsed);
      std::fflush(stdout);
      next_progress_s += 60;
    }
    Bytes input = index < corpus.size() ? corpus[index]
                                        : Mutate(corpus[rng.NextBelow(static_cast<uint32_t>(corpus.size()))], rng);
    digest ^= InputHash(input);
    std::signal(SIGALRM, OnTimeout);
    alarm(g_input_timeout_s);
    LLVMFuzzerTestOneInput(input.data(), input.size());
    alarm(0);
  }
  std::printf("rom_fuzz: %llu inputs%s, seed %llu%s, no failures\n", static_cast<unsigned long long>(runs),
              from.c_str(), static_cast<unsigned long long>(seed), g_corrupt_states ? ", corrupt states" : "");
  std::printf("rom_fuzz: %llu images parsed and ran %llu frames (%d-%d each)\n",
              static_cast<unsigned long long>(g_parsed), static_cast<unsigned long long>(g_frames), g_min_frames,
              g_min_frames + g_frame_span - 1);
  std::printf("rom_fuzz: inputs digest %016llx\n", static_cast<unsigned long long>(digest));
  if (g_corrupt_states) {
    std::printf("rom_fuzz: crafted states: %llu rejected by the field checks, %llu loaded and ran\n",
                static_cast<unsigned long long>(g_crafted_rejected), static_cast<unsigned long long>(g_crafted_ran));
  }
  return 0;
}

#endif  // MARIO_RL_LIBFUZZER
