#include "nes/rom.h"

#include <string>

#include "common/error.h"
#include "nes/pattern.h"

namespace mario_rl::nes {

namespace {

constexpr size_t kHeaderSize = 16;
constexpr size_t kTrainerSize = 512;

uint64_t Fnv1a64(const uint8_t* data, size_t size) {
  uint64_t h = 0xCBF29CE484222325ULL;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 0x100000001B3ULL;
  return h;
}

// NES 2.0 ROM size: 12-bit unit count, or exponent-multiplier form when the MSB nibble is $F.
uint64_t Nes2RomSize(uint8_t lsb, uint8_t msb_nibble, uint64_t unit, const char* field) {
  if (msb_nibble == 0xF) {
    const int exponent = lsb >> 2;
    const int multiplier = (lsb & 3) * 2 + 1;
    if (exponent > 30) {
      throw Error(std::string("Invalid NES 2.0 header: ") + field + " size exponent " + std::to_string(exponent) +
                  " is too large");
    }
    return (uint64_t{1} << exponent) * multiplier;
  }
  return ((uint64_t{msb_nibble} << 8) | lsb) * unit;
}

size_t ShiftSize(int shift) { return shift == 0 ? 0 : size_t{64} << shift; }

}  // namespace

bool IsSupportedMapper(int mapper) {
  return mapper == 0 || mapper == 1 || mapper == 2 || mapper == 3 || mapper == 4 || mapper == 7;
}

std::shared_ptr<const Rom> ParseRom(const uint8_t* data, size_t size) {
  if (data == nullptr || size < kHeaderSize) {
    throw Error("Invalid ROM: expected at least a 16-byte iNES header but received " + std::to_string(size) + " bytes");
  }
  if (data[0] != 'N' || data[1] != 'E' || data[2] != 'S' || data[3] != 0x1A) {
    throw Error("Invalid ROM: missing the iNES magic \"NES\\x1A\" at offset 0");
  }
  auto rom = std::make_shared<Rom>();
  const uint8_t f6 = data[6], f7 = data[7];
  rom->nes2 = (f7 & 0x0C) == 0x08;
  const bool trainer = (f6 & 0x04) != 0;
  rom->battery = (f6 & 0x02) != 0;
  if (f6 & 0x08) {
    rom->mirroring = Mirroring::kFourScreen;
  } else {
    rom->mirroring = (f6 & 0x01) ? Mirroring::kVertical : Mirroring::kHorizontal;
  }

  uint64_t prg_size = 0, chr_size = 0;
  if (rom->nes2) {
    rom->mapper = (f6 >> 4) | (f7 & 0xF0) | ((data[8] & 0x0F) << 8);
    rom->submapper = data[8] >> 4;
    prg_size = Nes2RomSize(data[4], data[9] & 0x0F, 16384, "PRG-ROM");
    chr_size = Nes2RomSize(data[5], data[9] >> 4, 8192, "CHR-ROM");
    const int prg_ram_shift = data[10] & 0x0F, prg_nvram_shift = data[10] >> 4;
    const int chr_ram_shift = data[11] & 0x0F, chr_nvram_shift = data[11] >> 4;
    if (prg_ram_shift > 14 || prg_nvram_shift > 14) {
      throw Error("Invalid NES 2.0 header: PRG-RAM size shift (byte 10) must be at most 14");
    }
    if (chr_ram_shift > 14 || chr_nvram_shift > 14) {
      throw Error("Invalid NES 2.0 header: CHR-RAM size shift (byte 11) must be at most 14");
    }
    rom->prg_ram_size = ShiftSize(prg_ram_shift) + ShiftSize(prg_nvram_shift);
    rom->chr_ram_size = ShiftSize(chr_ram_shift) + ShiftSize(chr_nvram_shift);
  } else {
    // Archaic dumps carry junk ("DiskDude!") in bytes 7-15: then only the low mapper nibble counts.
    const bool junk = data[12] != 0 || data[13] != 0 || data[14] != 0 || data[15] != 0;
    rom->mapper = (f6 >> 4) | (junk ? 0 : (f7 & 0xF0));
    prg_size = uint64_t{data[4]} * 16384;
    chr_size = uint64_t{data[5]} * 8192;
    rom->prg_ram_size = (data[8] == 0 || junk ? 1 : data[8]) * size_t{8192};
    rom->chr_ram_size = chr_size == 0 ? 8192 : 0;
  }

  if (prg_size == 0) throw Error("Invalid ROM header: PRG-ROM size (byte 4) is 0");
  if (prg_size > (uint64_t{8} << 20)) {
    throw Error("Invalid ROM header: PRG-ROM size " + std::to_string(prg_size) + " bytes exceeds the 8 MiB supported");
  }
  if (chr_size > (uint64_t{8} << 20)) {
    throw Error("Invalid ROM header: CHR-ROM size " + std::to_string(chr_size) + " bytes exceeds the 8 MiB supported");
  }
  if (rom->prg_ram_size > kMaxPrgRam) {
    throw Error("Invalid ROM header: PRG-RAM size " + std::to_string(rom->prg_ram_size) + " bytes exceeds the " +
                std::to_string(kMaxPrgRam) + " supported");
  }
  if (prg_size % 8192 != 0) {
    throw Error("Invalid ROM header: PRG-ROM size " + std::to_string(prg_size) + " bytes is not a multiple of 8 KiB");
  }
  if (chr_size % 1024 != 0) {
    throw Error("Invalid ROM header: CHR-ROM size " + std::to_string(chr_size) + " bytes is not a multiple of 1 KiB");
  }
  if (chr_size == 0 && rom->chr_ram_size == 0) rom->chr_ram_size = 8192;
  if (rom->chr_ram_size % 1024 != 0) {
    throw Error("Invalid NES 2.0 header: CHR-RAM size " + std::to_string(rom->chr_ram_size) +
                " bytes (byte 11) is not a multiple of 1 KiB");
  }
  if (chr_size != 0) rom->chr_ram_size = 0;
  if (rom->chr_ram_size > kMaxChrRam) {
    throw Error("Invalid ROM header: CHR-RAM size " + std::to_string(rom->chr_ram_size) + " bytes exceeds the " +
                std::to_string(kMaxChrRam) + " supported");
  }
  if (!IsSupportedMapper(rom->mapper)) {
    throw Error("Unsupported mapper " + std::to_string(rom->mapper));
  }

  const uint64_t needed = kHeaderSize + (trainer ? kTrainerSize : 0) + prg_size + chr_size;
  if (size < needed) {
    throw Error("Invalid ROM: truncated; the header declares " + std::to_string(prg_size) + " bytes of PRG-ROM and " +
                std::to_string(chr_size) + " bytes of CHR-ROM" + (trainer ? " plus a 512-byte trainer" : "") + " (" +
                std::to_string(needed) + " bytes with the header) but the image has " + std::to_string(size) +
                " bytes");
  }
  size_t offset = kHeaderSize;
  if (trainer) {
    rom->trainer.assign(data + offset, data + offset + kTrainerSize);
    offset += kTrainerSize;
    if (rom->prg_ram_size < 8192) rom->prg_ram_size = 8192;
  }
  rom->prg.assign(data + offset, data + offset + prg_size);
  offset += prg_size;
  rom->chr.assign(data + offset, data + offset + chr_size);
  rom->chr_rows.resize(rom->chr.size() / 2);
  DecodePatterns(rom->chr.data(), rom->chr.size(), rom->chr_rows.data());
  rom->hash = Fnv1a64(data, needed);
  return rom;
}

}  // namespace mario_rl::nes
