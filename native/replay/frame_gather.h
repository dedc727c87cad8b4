// Frame stacking for PrioritizedReplay at sample time: the TS side works out which stored frame
// goes in each output slot, this copies them (one memcpy per frame, no per-frame JS overhead).
#pragma once

#include <cstddef>
#include <cstdint>

namespace mario_rl {

// out[k] = src row rows[k] (row_bytes each) for k < count; rows[k] == -1 writes zeros.
// RangeError naming k for a row outside [-1, src_rows); nothing is written then.
void GatherRows(const uint8_t* src, size_t src_rows, size_t row_bytes, const int32_t* rows, size_t count,
                uint8_t* out);

}  // namespace mario_rl
