// Developer tool for the NES core.
//   nes_run nestest <rom> <nestest.log>        compare the CPU trace (PC A X Y P SP CYC) line by line
//   nes_run blargg <rom> [max_frames]          run until the $6000 status protocol reports; print text
//   nes_run frames <rom> <n> [options]         run n frames and time them
//       --script baseline|none|start   input (baseline = the script in reference/baselines.md)
//       --norender                     render=false
//       --pgm <file> / --ppm <file>    dump the last frame
//       --ramdump <file>               append the 2 KiB RAM after every frame
//       --ram-ff                       power-on RAM filled with $FF (as jsnes)
//       --screen                       print the nametable text (for tests that report on screen)
//       --savebench                    time SaveState+LoadState
//       --framehash                    print an FNV-1a hash of every frame's pixels (not timed apart)
//       --no-line-fast-path            step every visible line event by event (same results)
//       --exact                        no fast paths at all (ConsoleOptions::fast_paths = false)
//   nes_run trace <rom> <n>                    print n trace lines from the reset vector
// MARIO_RL_EXACT=1 in the environment turns the fast paths off in every mode (as --exact does).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/error.h"
#include "nes/console.h"
#include "nes/palette.h"

using mario_rl::nes::Console;
using mario_rl::nes::ConsoleOptions;

namespace {

// Options every mode starts from: MARIO_RL_EXACT=1 runs the core without fast paths, so the ROM
// suites that drive this tool run both ways.
ConsoleOptions BaseOptions() {
  ConsoleOptions options;
  const char* exact = std::getenv("MARIO_RL_EXACT");
  if (exact != nullptr && std::strcmp(exact, "1") == 0) options.fast_paths = false;
  return options;
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

uint8_t BaselineInput(uint64_t f) {
  if (f < 60) return 0;
  if (f < 66) return 0x08;
  if (f < 120) return 0;
  if (f < 130) return 0x08;
  return static_cast<uint8_t>(0x82 | (f % 40 < 12 ? 0x01 : 0));
}

int Nestest(const std::string& rom_path, const std::string& log_path) {
  const auto data = ReadFile(rom_path);
  Console console(mario_rl::nes::ParseRom(data.data(), data.size()), BaseOptions());
  auto regs = console.Cpu();
  regs.pc = 0xC000;
  regs.p = 0x24;
  regs.sp = 0xFD;
  console.SetCpu(regs);
  std::ifstream log(log_path);
  std::string expected;
  int line = 0;
  auto fields = [](const std::string& s) {
    // PC, then A: X: Y: P: SP: and CYC:
    std::string out = s.substr(0, 4);
    for (const char* key : {"A:", "X:", "Y:", "P:", "SP:"}) {
      const size_t at = s.find(key, 40);
      out += std::string(" ") + (at == std::string::npos ? "?" : s.substr(at, std::strlen(key) + 2));
    }
    const size_t cyc = s.find("CYC:");
    out += " " + (cyc == std::string::npos ? std::string("?") : s.substr(cyc));
    while (!out.empty() && (out.back() == '\r' || out.back() == ' ')) out.pop_back();
    return out;
  };
  while (std::getline(log, expected)) {
    ++line;
    const std::string got = console.TraceLine();
    if (fields(got) != fields(expected)) {
      std::printf("MISMATCH at line %d\n  expected: %s\n  got:      %s\n", line, expected.c_str(), got.c_str());
      return 1;
    }
    console.StepInstruction();
  }
  std::printf("nestest: all %d lines match\n", line);
  return 0;
}

void PrintScreen(const Console& console) {
  // Nametable 0 as text: the test ROMs' fonts put ASCII glyphs at their ASCII tile numbers.
  for (int row = 0; row < 30; ++row) {
    std::string text;
    for (int col = 0; col < 32; ++col) {
      const uint8_t tile = console.PeekPpu(static_cast<uint16_t>(0x2000 + row * 32 + col));
      text.push_back(tile >= 0x20 && tile < 0x7F ? static_cast<char>(tile) : ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    if (!text.empty()) std::printf("%s\n", text.c_str());
  }
}

int Blargg(const std::string& rom_path, int max_frames) {
  const auto data = ReadFile(rom_path);
  Console console(mario_rl::nes::ParseRom(data.data(), data.size()), BaseOptions());
  bool started = false;
  int reset_at = -1;
  for (int f = 0; f < max_frames; ++f) {
    console.StepFrame(0, false);
    const bool sig = console.Peek(0x6001) == 0xDE && console.Peek(0x6002) == 0xB0 && console.Peek(0x6003) == 0x61;
    if (!sig) continue;
    const uint8_t status = console.Peek(0x6000);
    if (status == 0x80) {
      started = true;
      continue;
    }
    if (status == 0x81) {
      // Test asks for a reset after at least 100 ms.
      if (reset_at < 0) reset_at = f + 10;
      if (f >= reset_at) {
        console.Reset();
        reset_at = -1;
      }
      continue;
    }
    if (!started) continue;
    std::string text;
    for (uint16_t a = 0x6004; a < 0x7000; ++a) {
      const uint8_t c = console.Peek(a);
      if (c == 0) break;
      text.push_back(static_cast<char>(c));
    }
    std::printf("%s\nstatus=%d frames=%d\n", text.c_str(), status, f + 1);
    return status == 0 ? 0 : 1;
  }
  std::printf("timeout after %d frames (started=%d)\n", max_frames, started ? 1 : 0);
  return 2;
}

int Frames(const std::string& rom_path, int n, int argc, char** argv) {
  std::string script = "baseline", pgm, ppm, ramdump;
  bool render = true, savebench = false, screen = false, framehash = false;
  int replay = 0;
  ConsoleOptions options = BaseOptions();
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--script" && i + 1 < argc) script = argv[++i];
    else if (a == "--norender") render = false;
    else if (a == "--pgm" && i + 1 < argc) pgm = argv[++i];
    else if (a == "--ppm" && i + 1 < argc) ppm = argv[++i];
    else if (a == "--ramdump" && i + 1 < argc) ramdump = argv[++i];
    else if (a == "--ram-ff") options.power_on_ram = mario_rl::nes::PowerOnRam::kFF;
    else if (a == "--savebench") savebench = true;
    else if (a == "--framehash") framehash = true;
    else if (a == "--no-line-fast-path") options.line_fast_path = false;
    else if (a == "--exact") options.fast_paths = false;
    else if (a == "--screen") screen = true;
    else if (a == "--replay" && i + 1 < argc) replay = std::atoi(argv[++i]);
  }
  const auto data = ReadFile(rom_path);
  Console console(mario_rl::nes::ParseRom(data.data(), data.size()), options);
  uint64_t frame_fnv = 1469598103934665603ULL;
  std::FILE* dump = ramdump.empty() ? nullptr : std::fopen(ramdump.c_str(), "wb");
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();
  for (int f = 0; f < n; ++f) {
    uint8_t input = 0;
    if (script == "baseline") input = BaselineInput(f);
    else if (script == "start") input = (f % 120 >= 100 && f % 120 < 106) ? 0x08 : 0;
    console.StepFrame(input, render);
    if (dump) std::fwrite(console.Ram(), 1, 2048, dump);
    if (framehash) {
      for (int i = 0; i < 256 * 240; ++i) frame_fnv = (frame_fnv ^ console.Frame()[i]) * 1099511628211ULL;
    }
  }
  const auto t1 = std::chrono::steady_clock::now();
  const double cpu_secs = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  if (dump) std::fclose(dump);
  const double secs = std::chrono::duration<double>(t1 - t0).count();
  std::printf("%d frames in %.3f s: %.0f frames/s (%.1f us/frame); CPU time %.1f us/frame\n", n, secs, n / secs,
              secs * 1e6 / n, cpu_secs * 1e6 / n);
  uint64_t h = 1469598103934665603ULL;
  for (int i = 0; i < 2048; ++i) h = (h ^ console.Ram()[i]) * 1099511628211ULL;
  std::printf("ram fnv=%016llx\n", static_cast<unsigned long long>(h));
  if (framehash) std::printf("frames fnv=%016llx\n", static_cast<unsigned long long>(frame_fnv));
  if (replay > 0) {
    // Save, play `replay` frames, load, play them again: RAM and frames must match exactly.
    std::vector<uint8_t> state(console.StateSize());
    console.SaveState(state.data());
    auto digest = [&console]() {
      uint64_t h = 1469598103934665603ULL;
      for (int i = 0; i < 2048; ++i) h = (h ^ console.Ram()[i]) * 1099511628211ULL;
      for (int i = 0; i < 256 * 240; ++i) h = (h ^ console.Frame()[i]) * 1099511628211ULL;
      return h;
    };
    std::vector<uint64_t> first;
    for (int f = 0; f < replay; ++f) {
      console.StepFrame(BaselineInput(n + f), true);
      first.push_back(digest());
      if (f < 3) {
        uint64_t h = 1469598103934665603ULL;
        for (int i = 0; i < 2048; ++i) h = (h ^ console.Ram()[i]) * 1099511628211ULL;
        std::printf("  first pass frame %d ram hash %016llx\n", f, static_cast<unsigned long long>(h));
      }
    }
    console.LoadState(state.data(), state.size());
    int mismatches = 0;
    for (int f = 0; f < replay; ++f) {
      console.StepFrame(BaselineInput(n + f), true);
      if (digest() != first[f]) {
        if (mismatches < 5) {
          uint64_t h = 1469598103934665603ULL;
          for (int i = 0; i < 2048; ++i) h = (h ^ console.Ram()[i]) * 1099511628211ULL;
          std::printf("  mismatch at replay frame %d (ram hash %016llx)\n", f, static_cast<unsigned long long>(h));
        }
        ++mismatches;
      }
    }
    std::printf("replay %d frames after load: %d mismatches\n", replay, mismatches);
    if (mismatches) return 1;
  }
  if (savebench) {
    std::vector<uint8_t> state(console.StateSize());
    const int reps = 100000;
    const auto s0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) {
      console.SaveState(state.data());
      console.LoadState(state.data(), state.size());
    }
    const auto s1 = std::chrono::steady_clock::now();
    std::printf("state %zu bytes, save+load %.2f us\n", state.size(),
                std::chrono::duration<double>(s1 - s0).count() * 1e6 / reps);
  }
  if (!pgm.empty() || !ppm.empty()) {
    const uint8_t* frame = console.Frame();
    const uint8_t* rgb = mario_rl::nes::PaletteRgb();
    std::FILE* out = std::fopen((pgm.empty() ? ppm : pgm).c_str(), "wb");
    if (!pgm.empty()) {
      std::fprintf(out, "P5 256 240 255\n");
      for (int i = 0; i < 256 * 240; ++i) {
        const uint8_t* c = rgb + frame[i] * 3;
        std::fputc((c[0] * 77 + c[1] * 150 + c[2] * 29) >> 8, out);
      }
    } else {
      std::fprintf(out, "P6 256 240 255\n");
      for (int i = 0; i < 256 * 240; ++i) std::fwrite(rgb + frame[i] * 3, 1, 3, out);
    }
    std::fclose(out);
  }
  if (screen) PrintScreen(console);
  return 0;
}

int Trace(const std::string& rom_path, int n) {
  const auto data = ReadFile(rom_path);
  Console console(mario_rl::nes::ParseRom(data.data(), data.size()), BaseOptions());
  for (int i = 0; i < n; ++i) {
    std::printf("%s\n", console.TraceLine().c_str());
    console.StepInstruction();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: nes_run nestest|blargg|frames|trace <rom> ...\n");
    return 2;
  }
  try {
    const std::string mode = argv[1];
    if (mode == "nestest" && argc >= 4) return Nestest(argv[2], argv[3]);
    if (mode == "blargg") return Blargg(argv[2], argc >= 4 ? std::atoi(argv[3]) : 3000);
    if (mode == "frames" && argc >= 4) return Frames(argv[2], std::atoi(argv[3]), argc - 4, argv + 4);
    if (mode == "trace" && argc >= 4) return Trace(argv[2], std::atoi(argv[3]));
    std::fprintf(stderr, "bad arguments\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 3;
  }
}
