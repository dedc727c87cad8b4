#include "replay/frame_gather.h"

#include <cstring>
#include <string>

#include "common/error.h"

namespace mario_rl {

void GatherRows(const FrameChunks& src, const int32_t* rows, size_t count, uint8_t* out) {
  for (size_t k = 0; k < count; ++k) {
    if (rows[k] < -1 || (rows[k] >= 0 && static_cast<size_t>(rows[k]) >= src.total_rows)) {
      throw RangeErrorOf(ExpectedMessage("an integer in [-1, " + std::to_string(src.total_rows) + ")",
                                         "rows[" + std::to_string(k) + "]", std::to_string(rows[k])));
    }
  }
  for (size_t k = 0; k < count; ++k) {
    uint8_t* dst = out + k * src.row_bytes;
    if (rows[k] < 0) {
      std::memset(dst, 0, src.row_bytes);
      continue;
    }
    const size_t row = static_cast<size_t>(rows[k]);
    const uint8_t* chunk = src.data[row / src.rows_per_chunk];
    std::memcpy(dst, chunk + (row % src.rows_per_chunk) * src.row_bytes, src.row_bytes);
  }
}

}  // namespace mario_rl
