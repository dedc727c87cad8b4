// Cartridge images: iNES and NES 2.0 parsing with strict validation. A Rom is immutable after
// parsing and shared read-only by any number of consoles and threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace mario_rl::nes {

enum class Mirroring : uint8_t { kHorizontal, kVertical, kFourScreen, kSingleLow, kSingleHigh };

// Largest RAM sizes we accept (keeps save states small and bounded).
constexpr size_t kMaxPrgRam = 32 * 1024;
constexpr size_t kMaxChrRam = 32 * 1024;

class Rom {
 public:
  int mapper = 0;
  int submapper = 0;
  bool nes2 = false;
  bool battery = false;
  Mirroring mirroring = Mirroring::kHorizontal;
  std::vector<uint8_t> prg;        // PRG-ROM
  std::vector<uint8_t> chr;        // CHR-ROM (empty when the board has CHR-RAM)
  std::vector<uint64_t> chr_rows;  // CHR-ROM's pattern rows pre-decoded (pattern.h), chr.size() / 2
  std::vector<uint8_t> trainer;    // 512 bytes or empty; loaded at $7000 at power-on
  size_t prg_ram_size = 0;         // volatile + battery-backed PRG-RAM, bytes
  size_t chr_ram_size = 0;         // CHR-RAM bytes (0 when CHR-ROM)
  uint64_t hash = 0;               // FNV-1a 64 of the whole image: tags save states
};

// Parses an iNES / NES 2.0 image. Throws mario_rl::Error naming the bad field, or
// "Unsupported mapper N".
std::shared_ptr<const Rom> ParseRom(const uint8_t* data, size_t size);

// Mapper numbers the registry can build.
bool IsSupportedMapper(int mapper);

}  // namespace mario_rl::nes
