// Standard joypad: an 8-bit shift register loaded while the strobe ($4016 bit 0) is high and
// shifted out one button per read of $4016/$4017, in the order A, B, Select, Start, Up, Down,
// Left, Right (the order of our button bits). After eight reads it returns 1s.
#pragma once

#include <cstdint>

#include "nes/state.h"

namespace mario_rl::nes {

class Controller {
 public:
  explicit Controller(ControllerState& state) : s_(state) {}
  void WriteStrobe(uint8_t value) {
    const uint8_t strobe = value & 1;
    if (s_.strobe || strobe) s_.shift = s_.buttons;
    s_.strobe = strobe;
  }
  // Bit 0 is the button; bits 6 (open bus, $40 from the address high byte) are set as on hardware.
  uint8_t Read() {
    if (s_.strobe) return static_cast<uint8_t>(0x40 | (s_.buttons & 1));
    const uint8_t bit = s_.shift & 1;
    s_.shift = static_cast<uint8_t>((s_.shift >> 1) | 0x80);
    return static_cast<uint8_t>(0x40 | bit);
  }
  uint8_t Peek() const { return static_cast<uint8_t>(0x40 | ((s_.strobe ? s_.buttons : s_.shift) & 1)); }

 private:
  ControllerState& s_;
};

}  // namespace mario_rl::nes
