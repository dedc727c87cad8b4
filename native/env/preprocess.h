// Fused observation preprocessing, one pass per rendered frame:
//   palette indices (256x240) -> luma or RGB -> optional crop -> area-average resize to WxH ->
//   the lane's frame-stack ring -> obs [stack, C, H, W] (C = 1 gray, 3 RGB; uint8).
// Every step is exact integer arithmetic, so a straightforward reference (tests/env) reproduces
// it bit for bit:
//   luma(i)   = (299 R + 587 G + 114 B + 500) / 1000, from the core's 64-entry palette
//   resize: output pixel (x, y) averages the source rectangle [x*Sw/W, (x+1)*Sw/W) x
//   [y*Sh/H, (y+1)*Sh/H) weighting each source pixel by its overlap; in units scaled by W (H)
//   the overlaps are integers, and the result is (sum + Sw*Sh/2) / (Sw*Sh), Sw/Sh the crop size.
//   max-pool (optional): per-channel max of two frames' channel values before the resize.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mario_rl::env {

constexpr int kSourceWidth = 256;
constexpr int kSourceHeight = 240;
constexpr size_t kSourcePixels = static_cast<size_t>(kSourceWidth) * kSourceHeight;

struct ObsSpec {
  int width = 84;
  int height = 84;
  int stack = 4;
  bool grayscale = true;
  // Pixels dropped from each side of the 256x240 frame before resizing (e.g. top 32 = the HUD).
  int crop_top = 0, crop_bottom = 0, crop_left = 0, crop_right = 0;
};

// Checks ranges (1 <= W <= 256, 1 <= H <= 240, 1 <= stack <= 16, crop leaves >= 1 pixel);
// throws mario_rl::Error (RangeError) naming the field.
void ValidateObsSpec(const ObsSpec& spec);

class Preprocessor {
 public:
  // Table-lookup paths for palette index -> channel value, fastest the CPU has (x86-64):
  // AVX-512 VBMI (one VPERMB per 64 pixels), SSSE3 (four PSHUFB per 16), else scalar.
  // MARIO_RL_NO_SIMD=1 forces scalar and MARIO_RL_SIMD=ssse3 caps at SSSE3; all give equal bytes.
  enum class Simd { kNone, kSsse3, kAvx512Vbmi };

  // palette_rgb: 64 x RGB (nes::PaletteRgb()).
  Preprocessor(const ObsSpec& spec, const uint8_t* palette_rgb);

  int Channels() const { return spec_.grayscale ? 1 : 3; }
  size_t FrameBytes() const { return static_cast<size_t>(Channels()) * spec_.width * spec_.height; }
  size_t ObsBytes() const { return FrameBytes() * static_cast<size_t>(spec_.stack); }
  const ObsSpec& spec() const { return spec_; }

  // Palette indices (and, when `pool_with` is not null, the per-channel max with the channel
  // values of that frame, palette indices too) -> resized frame [C, H, W] into out. `scratch`
  // holds ScratchBytes() bytes (per lane, allocated once, so the step path allocates nothing).
  void Resize(const uint8_t* indices, const uint8_t* pool_with, uint8_t* scratch, uint8_t* out) const;
  // A ring of the source rows one output row spans at most (4 x 256 bytes for 240 -> 84 rows).
  size_t ScratchBytes() const { return static_cast<size_t>(ring_rows_) * static_cast<size_t>(crop_w_); }

 private:
  struct Tap {
    uint16_t first;  // first source index (within the crop)
    uint16_t count;
  };
  uint8_t ChannelValue(uint8_t index, int channel) const { return lut_[channel][index & 63]; }

  ObsSpec spec_;
  int crop_w_, crop_h_;
  uint8_t lut_[3][64];  // gray uses lut_[0]
  // Vertical taps: per output row, the first source row and count, weights flattened.
  std::vector<Tap> y_taps_;
  std::vector<uint32_t> y_weights_;
  std::vector<uint32_t> y_offsets_;  // start of each output row's weights
  int ring_rows_ = 1;                // rows of the scratch ring: a power of two >= the rows one output spans
  // Horizontal taps: every output padded to x_taps_ taps (zero weights past its own), weights
  // [width][x_taps_], x_first_ the first source column of each output.
  int x_taps_ = 0;
  std::vector<uint16_t> x_first_;
  std::vector<uint32_t> x_weights_;
  // Exact division by the denominator as a multiply and shift: sums stay below 2^24, and
  // m = ceil(2^40 / d) gives floor(n * m / 2^40) == floor(n / d) for every n < 2^24.
  uint64_t reciprocal_;
  Simd simd_ = Simd::kNone;  // chosen at construction (see DetectSimd in preprocess.cc)
  uint32_t denominator_;
};

// The frame-stack ring of one lane: Push() adds the newest frame, WriteObs() lays the stack out
// oldest -> newest. Fill() repeats one frame (after a reset).
class FrameStack {
 public:
  FrameStack() = default;
  FrameStack(int stack, size_t frame_bytes) { Init(stack, frame_bytes); }
  void Init(int stack, size_t frame_bytes);
  uint8_t* NextSlot() { return data_.data() + static_cast<size_t>(head_) * frame_bytes_; }  // write then Commit()
  void Commit() { head_ = (head_ + 1) % stack_; }
  const uint8_t* Newest() const {
    return data_.data() + static_cast<size_t>((head_ + stack_ - 1) % stack_) * frame_bytes_;
  }
  void FillWithNewest();
  void WriteObs(uint8_t* out) const;

 private:
  int stack_ = 1;
  int head_ = 0;  // slot of the next push; also the oldest frame
  size_t frame_bytes_ = 0;
  std::vector<uint8_t> data_;
};

}  // namespace mario_rl::env
