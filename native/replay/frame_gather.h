// Frame stacking for PrioritizedReplay at sample time: the TS side works out which stored frame
// goes in each output slot, this copies them (one memcpy per frame, no per-frame JS overhead).
// Frames live in chunks (a typed array holds at most 4 GiB): row r is row r % rows_per_chunk of
// chunk r / rows_per_chunk.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mario_rl {

struct FrameChunks {
  const uint8_t* const* data;  // chunk_count pointers
  size_t chunk_count;
  size_t rows_per_chunk;
  size_t total_rows;  // rows actually present (the last chunk may be shorter)
  size_t row_bytes;
};

// out[k] = row rows[k] for k < count; rows[k] == -1 writes zeros.
// RangeError naming k for a row outside [-1, total_rows); nothing is written then.
void GatherRows(const FrameChunks& src, const int32_t* rows, size_t count, uint8_t* out);

}  // namespace mario_rl
