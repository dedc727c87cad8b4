#include "env/preprocess.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

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
  // Invert the vertical taps: for each source row, the output rows it feeds.
  std::vector<std::vector<std::pair<uint16_t, uint32_t>>> feeds(static_cast<size_t>(crop_h_));
  for (int y = 0; y < spec.height; ++y) {
    const Tap ty = y_taps_[static_cast<size_t>(y)];
    for (int k = 0; k < ty.count; ++k) {
      feeds[static_cast<size_t>(ty.first + k)].push_back({static_cast<uint16_t>(y), y_weights_[y_offsets_[y] + k]});
    }
  }
  row_offsets_.push_back(0);
  for (const auto& list : feeds) {
    for (const auto& [y, w] : list) {
      row_targets_.push_back(y);
      row_weights_.push_back(w);
    }
    row_offsets_.push_back(static_cast<uint32_t>(row_targets_.size()));
  }
}

void Preprocessor::Convert(const uint8_t* indices, uint8_t* full) const {
  for (int c = 0; c < Channels(); ++c) {
    uint8_t* out = full + static_cast<size_t>(c) * kSourcePixels;
    for (size_t p = 0; p < kSourcePixels; ++p) out[p] = ChannelValue(indices[p], c);
  }
}

void Preprocessor::Resize(const uint8_t* indices, const uint8_t* pool_with, uint32_t* scratch, uint8_t* out) const {
  const int W = spec_.width, H = spec_.height;
  uint8_t values[kSourceWidth];
  const uint32_t half = denominator_ / 2;
  for (int c = 0; c < Channels(); ++c) {
    const uint8_t* lut = lut_[c];
    const uint8_t* pool = pool_with ? pool_with + static_cast<size_t>(c) * kSourcePixels : nullptr;
    std::fill(scratch, scratch + static_cast<size_t>(W) * H, 0u);
    for (int r = 0; r < crop_h_; ++r) {
      const size_t src_row = static_cast<size_t>(spec_.crop_top + r) * kSourceWidth + spec_.crop_left;
      const uint8_t* src = indices + src_row;
      if (pool) {
        const uint8_t* prev = pool + src_row;
        for (int x = 0; x < crop_w_; ++x) values[x] = std::max(lut[src[x] & 63], prev[x]);
      } else {
        for (int x = 0; x < crop_w_; ++x) values[x] = lut[src[x] & 63];
      }
      // Horizontal pass (at most 255 * 256 per output), then add into every output row it feeds.
      uint32_t row[kSourceWidth];
      for (int x = 0; x < W; ++x) {
        const Tap tx = x_taps_[x];
        const uint32_t* wx = x_weights_.data() + x_offsets_[x];
        const uint8_t* v = values + tx.first;
        uint32_t sum = 0;
        for (int m = 0; m < tx.count; ++m) sum += wx[m] * v[m];
        row[x] = sum;
      }
      for (uint32_t t = row_offsets_[r]; t < row_offsets_[r + 1]; ++t) {
        uint32_t* acc = scratch + static_cast<size_t>(row_targets_[t]) * W;
        const uint32_t w = row_weights_[t];
        for (int x = 0; x < W; ++x) acc[x] += w * row[x];
      }
    }
    uint8_t* dst = out + static_cast<size_t>(c) * W * H;
    for (size_t p = 0; p < static_cast<size_t>(W) * H; ++p) dst[p] = static_cast<uint8_t>((scratch[p] + half) / denominator_);
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
