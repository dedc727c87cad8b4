#include "env/preprocess.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "common/error.h"

namespace mario_rl::env {
namespace {

void CheckRange(int value, int lo, int hi, const char* name) {
  if (value < lo || value > hi) {
    throw RangeErrorOf(ExpectedMessage("an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", name,
                                       std::to_string(value)));
  }
}

// Integer overlap taps for resizing `src` pixels to `dst`: source pixel i spans [i*dst, (i+1)*dst),
// output j spans [j*src, (j+1)*src); each output's weights sum to src.
void BuildTaps(int src, int dst, std::vector<uint16_t>& first, std::vector<uint16_t>& count,
               std::vector<uint32_t>& weights, std::vector<uint32_t>& offsets) {
  for (int j = 0; j < dst; ++j) {
    const int64_t lo = static_cast<int64_t>(j) * src, hi = static_cast<int64_t>(j + 1) * src;
    const int i0 = static_cast<int>(lo / dst);
    const int i1 = static_cast<int>(std::min<int64_t>((hi + dst - 1) / dst, src));  // exclusive
    first.push_back(static_cast<uint16_t>(i0));
    offsets.push_back(static_cast<uint32_t>(weights.size()));
    int n = 0;
    for (int i = i0; i < i1; ++i) {
      const int64_t a = std::max<int64_t>(lo, static_cast<int64_t>(i) * dst);
      const int64_t b = std::min<int64_t>(hi, static_cast<int64_t>(i + 1) * dst);
      weights.push_back(static_cast<uint32_t>(b - a));
      ++n;
    }
    count.push_back(static_cast<uint16_t>(n));
  }
}

}  // namespace

void ValidateObsSpec(const ObsSpec& spec) {
  CheckRange(spec.width, 1, kSourceWidth, "obs.width");
  CheckRange(spec.height, 1, kSourceHeight, "obs.height");
  CheckRange(spec.stack, 1, 16, "obs.stack");
  CheckRange(spec.crop_top, 0, kSourceHeight - 1, "obs.crop.top");
  CheckRange(spec.crop_bottom, 0, kSourceHeight - 1 - spec.crop_top, "obs.crop.bottom");
  CheckRange(spec.crop_left, 0, kSourceWidth - 1, "obs.crop.left");
  CheckRange(spec.crop_right, 0, kSourceWidth - 1 - spec.crop_left, "obs.crop.right");
}

Preprocessor::Preprocessor(const ObsSpec& spec, const uint8_t* palette_rgb) : spec_(spec) {
  ValidateObsSpec(spec);
  crop_w_ = kSourceWidth - spec.crop_left - spec.crop_right;
  crop_h_ = kSourceHeight - spec.crop_top - spec.crop_bottom;
  for (int i = 0; i < 64; ++i) {
    const uint32_t r = palette_rgb[3 * i], g = palette_rgb[3 * i + 1], b = palette_rgb[3 * i + 2];
    if (spec.grayscale) {
      lut_[0][i] = static_cast<uint8_t>((299 * r + 587 * g + 114 * b + 500) / 1000);
    } else {
      lut_[0][i] = static_cast<uint8_t>(r);
      lut_[1][i] = static_cast<uint8_t>(g);
      lut_[2][i] = static_cast<uint8_t>(b);
    }
  }
  std::vector<uint16_t> first, count;
  BuildTaps(crop_w_, spec.width, first, count, x_weights_, x_offsets_);
  for (size_t j = 0; j < first.size(); ++j) x_taps_.push_back({first[j], count[j]});
  first.clear();
  count.clear();
  BuildTaps(crop_h_, spec.height, first, count, y_weights_, y_offsets_);
  for (size_t j = 0; j < first.size(); ++j) y_taps_.push_back({first[j], count[j]});
  denominator_ = static_cast<uint32_t>(crop_w_) * static_cast<uint32_t>(crop_h_);
}

void Preprocessor::Convert(const uint8_t* indices, uint8_t* full) const {
  for (int c = 0; c < Channels(); ++c) {
    uint8_t* out = full + static_cast<size_t>(c) * kSourcePixels;
    for (size_t p = 0; p < kSourcePixels; ++p) out[p] = ChannelValue(indices[p], c);
  }
}

void Preprocessor::Resize(const uint8_t* indices, const uint8_t* pool_with, uint8_t* out) const {
  const int W = spec_.width, H = spec_.height;
  // Row sums of the horizontal pass: at most 255 * 256 each; a fixed array keeps the step
  // path allocation-free.
  uint32_t row[kSourceWidth];
  uint32_t acc[kSourceWidth];
  const uint32_t half = denominator_ / 2;
  for (int c = 0; c < Channels(); ++c) {
    const uint8_t* lut = lut_[c];
    const uint8_t* pool = pool_with ? pool_with + static_cast<size_t>(c) * kSourcePixels : nullptr;
    uint8_t* dst = out + static_cast<size_t>(c) * W * H;
    for (int y = 0; y < H; ++y) {
      const Tap ty = y_taps_[y];
      const uint32_t* wy = y_weights_.data() + y_offsets_[y];
      std::fill(acc, acc + W, 0u);
      for (int k = 0; k < ty.count; ++k) {
        const size_t src_row = static_cast<size_t>(spec_.crop_top + ty.first + k) * kSourceWidth + spec_.crop_left;
        const uint8_t* src = indices + src_row;
        const uint8_t* prev = pool ? pool + src_row : nullptr;
        for (int x = 0; x < W; ++x) {
          const Tap tx = x_taps_[x];
          const uint32_t* wx = x_weights_.data() + x_offsets_[x];
          uint32_t sum = 0;
          if (prev) {
            for (int m = 0; m < tx.count; ++m) {
              const uint8_t v = std::max(lut[src[tx.first + m] & 63], prev[tx.first + m]);
              sum += wx[m] * v;
            }
          } else {
            for (int m = 0; m < tx.count; ++m) sum += wx[m] * lut[src[tx.first + m] & 63];
          }
          row[x] = sum;
        }
        const uint32_t w = wy[k];
        for (int x = 0; x < W; ++x) acc[x] += w * row[x];
      }
      for (int x = 0; x < W; ++x) dst[static_cast<size_t>(y) * W + x] = static_cast<uint8_t>((acc[x] + half) / denominator_);
    }
  }
}

void FrameStack::Init(int stack, size_t frame_bytes) {
  stack_ = stack;
  frame_bytes_ = frame_bytes;
  head_ = 0;
  data_.assign(static_cast<size_t>(stack) * frame_bytes, 0);
}

void FrameStack::FillWithNewest() {
  const uint8_t* newest = Newest();
  for (int s = 0; s < stack_; ++s) {
    uint8_t* slot = data_.data() + static_cast<size_t>(s) * frame_bytes_;
    if (slot != newest) std::memcpy(slot, newest, frame_bytes_);
  }
}

void FrameStack::WriteObs(uint8_t* out) const {
  for (int s = 0; s < stack_; ++s) {
    const int slot = (head_ + s) % stack_;
    std::memcpy(out + static_cast<size_t>(s) * frame_bytes_, data_.data() + static_cast<size_t>(slot) * frame_bytes_,
                frame_bytes_);
  }
}

}  // namespace mario_rl::env
