// Pattern rows pre-decoded for shading. CHR stores a tile row as two bit planes (byte r and byte
// r + 8 of the tile); the PPU needs each pixel's 2-bit value. A decoded row is one uint64_t whose
// byte i is pixel i's value (0..3), pixel 0 the leftmost, so the background shader reads one word
// per tile instead of two pattern bytes and two spread lookups. A 1 KiB CHR bank (64 tiles of 8
// rows) decodes to kPatternRowsPer1k rows. The rows are derived state, never saved: CHR-ROM's are
// decoded once when the ROM is parsed (Rom::chr_rows), CHR-RAM's follow every write
// (Machine::WriteChr) and are rebuilt after a state load.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mario_rl::nes {

constexpr size_t kPatternRowsPer1k = 512;

// kPatternBits[b]: byte i (little-endian) is 1 when bit 7 - i of b is set, else 0.
struct PatternBitTable {
  uint64_t v[256];
  constexpr PatternBitTable() : v() {
    for (int b = 0; b < 256; ++b) {
      uint64_t out = 0;
      for (int i = 0; i < 8; ++i) out |= static_cast<uint64_t>((b >> (7 - i)) & 1) << (8 * i);
      v[b] = out;
    }
  }
};
inline constexpr PatternBitTable kPatternBits;

// The row from its two bit planes.
inline uint64_t DecodePatternRow(uint8_t plane0, uint8_t plane1) {
  return kPatternBits.v[plane0] | (kPatternBits.v[plane1] << 1);
}

// Index of the decoded row that holds CHR byte `address` (either plane) within its 1 KiB bank.
inline size_t PatternRowIndex(unsigned address) { return ((address >> 1) & 0x1F8) | (address & 7); }

// Decodes `size` bytes of CHR (a multiple of 16) into size / 2 rows.
inline void DecodePatterns(const uint8_t* chr, size_t size, uint64_t* rows) {
  for (size_t tile = 0; tile < size; tile += 16) {
    for (size_t r = 0; r < 8; ++r) *rows++ = DecodePatternRow(chr[tile + r], chr[tile + r + 8]);
  }
}

}  // namespace mario_rl::nes
