#include "replay/frame_gather.h"

#include <cstring>
#include <string>

#include "common/error.h"

namespace mario_rl {

void GatherRows(const uint8_t* src, size_t src_rows, size_t row_bytes, const int32_t* rows, size_t count,
                uint8_t* out) {
  for (size_t k = 0; k < count; ++k) {
    if (rows[k] < -1 || (rows[k] >= 0 && static_cast<size_t>(rows[k]) >= src_rows)) {
      throw RangeErrorOf(ExpectedMessage("an integer in [-1, " + std::to_string(src_rows) + ")",
                                         "rows[" + std::to_string(k) + "]", std::to_string(rows[k])));
    }
  }
  for (size_t k = 0; k < count; ++k) {
    uint8_t* dst = out + k * row_bytes;
    if (rows[k] < 0) {
      std::memset(dst, 0, row_bytes);
    } else {
      std::memcpy(dst, src + static_cast<size_t>(rows[k]) * row_bytes, row_bytes);
    }
  }
}

}  // namespace mario_rl
