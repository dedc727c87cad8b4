// The CPU trace printer (nestest.log format), part of the CPU module.
#include <cstdio>
#include <string>

#include "nes/cpu.h"
#include "nes/machine.h"

namespace mario_rl::nes {

namespace {
enum Mode : uint8_t { kImp, kAcc, kImm, kZp, kZpx, kZpy, kAbs, kAbx, kAby, kInd, kIzx, kIzy, kRel };
constexpr uint8_t kModeBytes[] = {1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 2, 2, 2};

// 256 entries "MNE" + mode letter; a leading '*' marks unofficial opcodes (as nestest.log does).
struct Op {
  const char* name;
  Mode mode;
};
#define U(n) "*" n
// One row per 8 opcodes, as opcode tables are printed; clang-format would rewrap it.
// clang-format off
constexpr Op kOps[256] = {
    {"BRK", kImp}, {"ORA", kIzx}, {U("KIL"), kImp}, {U("SLO"), kIzx}, {U("NOP"), kZp}, {"ORA", kZp}, {"ASL", kZp}, {U("SLO"), kZp},
    {"PHP", kImp}, {"ORA", kImm}, {"ASL", kAcc}, {U("ANC"), kImm}, {U("NOP"), kAbs}, {"ORA", kAbs}, {"ASL", kAbs}, {U("SLO"), kAbs},
    {"BPL", kRel}, {"ORA", kIzy}, {U("KIL"), kImp}, {U("SLO"), kIzy}, {U("NOP"), kZpx}, {"ORA", kZpx}, {"ASL", kZpx}, {U("SLO"), kZpx},
    {"CLC", kImp}, {"ORA", kAby}, {U("NOP"), kImp}, {U("SLO"), kAby}, {U("NOP"), kAbx}, {"ORA", kAbx}, {"ASL", kAbx}, {U("SLO"), kAbx},
    {"JSR", kAbs}, {"AND", kIzx}, {U("KIL"), kImp}, {U("RLA"), kIzx}, {"BIT", kZp}, {"AND", kZp}, {"ROL", kZp}, {U("RLA"), kZp},
    {"PLP", kImp}, {"AND", kImm}, {"ROL", kAcc}, {U("ANC"), kImm}, {"BIT", kAbs}, {"AND", kAbs}, {"ROL", kAbs}, {U("RLA"), kAbs},
    {"BMI", kRel}, {"AND", kIzy}, {U("KIL"), kImp}, {U("RLA"), kIzy}, {U("NOP"), kZpx}, {"AND", kZpx}, {"ROL", kZpx}, {U("RLA"), kZpx},
    {"SEC", kImp}, {"AND", kAby}, {U("NOP"), kImp}, {U("RLA"), kAby}, {U("NOP"), kAbx}, {"AND", kAbx}, {"ROL", kAbx}, {U("RLA"), kAbx},
    {"RTI", kImp}, {"EOR", kIzx}, {U("KIL"), kImp}, {U("SRE"), kIzx}, {U("NOP"), kZp}, {"EOR", kZp}, {"LSR", kZp}, {U("SRE"), kZp},
    {"PHA", kImp}, {"EOR", kImm}, {"LSR", kAcc}, {U("ALR"), kImm}, {"JMP", kAbs}, {"EOR", kAbs}, {"LSR", kAbs}, {U("SRE"), kAbs},
    {"BVC", kRel}, {"EOR", kIzy}, {U("KIL"), kImp}, {U("SRE"), kIzy}, {U("NOP"), kZpx}, {"EOR", kZpx}, {"LSR", kZpx}, {U("SRE"), kZpx},
    {"CLI", kImp}, {"EOR", kAby}, {U("NOP"), kImp}, {U("SRE"), kAby}, {U("NOP"), kAbx}, {"EOR", kAbx}, {"LSR", kAbx}, {U("SRE"), kAbx},
    {"RTS", kImp}, {"ADC", kIzx}, {U("KIL"), kImp}, {U("RRA"), kIzx}, {U("NOP"), kZp}, {"ADC", kZp}, {"ROR", kZp}, {U("RRA"), kZp},
    {"PLA", kImp}, {"ADC", kImm}, {"ROR", kAcc}, {U("ARR"), kImm}, {"JMP", kInd}, {"ADC", kAbs}, {"ROR", kAbs}, {U("RRA"), kAbs},
    {"BVS", kRel}, {"ADC", kIzy}, {U("KIL"), kImp}, {U("RRA"), kIzy}, {U("NOP"), kZpx}, {"ADC", kZpx}, {"ROR", kZpx}, {U("RRA"), kZpx},
    {"SEI", kImp}, {"ADC", kAby}, {U("NOP"), kImp}, {U("RRA"), kAby}, {U("NOP"), kAbx}, {"ADC", kAbx}, {"ROR", kAbx}, {U("RRA"), kAbx},
    {U("NOP"), kImm}, {"STA", kIzx}, {U("NOP"), kImm}, {U("SAX"), kIzx}, {"STY", kZp}, {"STA", kZp}, {"STX", kZp}, {U("SAX"), kZp},
    {"DEY", kImp}, {U("NOP"), kImm}, {"TXA", kImp}, {U("XAA"), kImm}, {"STY", kAbs}, {"STA", kAbs}, {"STX", kAbs}, {U("SAX"), kAbs},
    {"BCC", kRel}, {"STA", kIzy}, {U("KIL"), kImp}, {U("AHX"), kIzy}, {"STY", kZpx}, {"STA", kZpx}, {"STX", kZpy}, {U("SAX"), kZpy},
    {"TYA", kImp}, {"STA", kAby}, {"TXS", kImp}, {U("TAS"), kAby}, {U("SHY"), kAbx}, {"STA", kAbx}, {U("SHX"), kAby}, {U("AHX"), kAby},
    {"LDY", kImm}, {"LDA", kIzx}, {"LDX", kImm}, {U("LAX"), kIzx}, {"LDY", kZp}, {"LDA", kZp}, {"LDX", kZp}, {U("LAX"), kZp},
    {"TAY", kImp}, {"LDA", kImm}, {"TAX", kImp}, {U("LAX"), kImm}, {"LDY", kAbs}, {"LDA", kAbs}, {"LDX", kAbs}, {U("LAX"), kAbs},
    {"BCS", kRel}, {"LDA", kIzy}, {U("KIL"), kImp}, {U("LAX"), kIzy}, {"LDY", kZpx}, {"LDA", kZpx}, {"LDX", kZpy}, {U("LAX"), kZpy},
    {"CLV", kImp}, {"LDA", kAby}, {"TSX", kImp}, {U("LAS"), kAby}, {"LDY", kAbx}, {"LDA", kAbx}, {"LDX", kAby}, {U("LAX"), kAby},
    {"CPY", kImm}, {"CMP", kIzx}, {U("NOP"), kImm}, {U("DCP"), kIzx}, {"CPY", kZp}, {"CMP", kZp}, {"DEC", kZp}, {U("DCP"), kZp},
    {"INY", kImp}, {"CMP", kImm}, {"DEX", kImp}, {U("AXS"), kImm}, {"CPY", kAbs}, {"CMP", kAbs}, {"DEC", kAbs}, {U("DCP"), kAbs},
    {"BNE", kRel}, {"CMP", kIzy}, {U("KIL"), kImp}, {U("DCP"), kIzy}, {U("NOP"), kZpx}, {"CMP", kZpx}, {"DEC", kZpx}, {U("DCP"), kZpx},
    {"CLD", kImp}, {"CMP", kAby}, {U("NOP"), kImp}, {U("DCP"), kAby}, {U("NOP"), kAbx}, {"CMP", kAbx}, {"DEC", kAbx}, {U("DCP"), kAbx},
    {"CPX", kImm}, {"SBC", kIzx}, {U("NOP"), kImm}, {U("ISB"), kIzx}, {"CPX", kZp}, {"SBC", kZp}, {"INC", kZp}, {U("ISB"), kZp},
    {"INX", kImp}, {"SBC", kImm}, {"NOP", kImp}, {U("SBC"), kImm}, {"CPX", kAbs}, {"SBC", kAbs}, {"INC", kAbs}, {U("ISB"), kAbs},
    {"BEQ", kRel}, {"SBC", kIzy}, {U("KIL"), kImp}, {U("ISB"), kIzy}, {U("NOP"), kZpx}, {"SBC", kZpx}, {"INC", kZpx}, {U("ISB"), kZpx},
    {"SED", kImp}, {"SBC", kAby}, {U("NOP"), kImp}, {U("ISB"), kAby}, {U("NOP"), kAbx}, {"SBC", kAbx}, {"INC", kAbx}, {U("ISB"), kAbx},
};
// clang-format on
#undef U
}  // namespace

std::string Cpu::TraceLine() const {
  const Machine& m = m_;
  const CpuState& c = m.s.cpu;
  const uint8_t opcode = m.Peek(c.pc);
  const Op& op = kOps[opcode];
  const int bytes = kModeBytes[op.mode];
  const uint8_t b1 = m.Peek(static_cast<uint16_t>(c.pc + 1));
  const uint8_t b2 = m.Peek(static_cast<uint16_t>(c.pc + 2));
  const uint16_t w = static_cast<uint16_t>(b1 | (b2 << 8));
  char raw[16];
  if (bytes == 1) std::snprintf(raw, sizeof raw, "%02X      ", opcode);
  else if (bytes == 2) std::snprintf(raw, sizeof raw, "%02X %02X   ", opcode, b1);
  else std::snprintf(raw, sizeof raw, "%02X %02X %02X", opcode, b1, b2);
  char operand[40] = "";
  switch (op.mode) {
    case kImp: break;
    case kAcc: std::snprintf(operand, sizeof operand, "A"); break;
    case kImm: std::snprintf(operand, sizeof operand, "#$%02X", b1); break;
    case kZp: std::snprintf(operand, sizeof operand, "$%02X = %02X", b1, m.Peek(b1)); break;
    case kZpx: std::snprintf(operand, sizeof operand, "$%02X,X", b1); break;
    case kZpy: std::snprintf(operand, sizeof operand, "$%02X,Y", b1); break;
    case kAbs:
      if (opcode == 0x4C || opcode == 0x20) std::snprintf(operand, sizeof operand, "$%04X", w);
      else std::snprintf(operand, sizeof operand, "$%04X", w);
      break;
    case kAbx: std::snprintf(operand, sizeof operand, "$%04X,X", w); break;
    case kAby: std::snprintf(operand, sizeof operand, "$%04X,Y", w); break;
    case kInd: std::snprintf(operand, sizeof operand, "($%04X)", w); break;
    case kIzx: std::snprintf(operand, sizeof operand, "($%02X,X)", b1); break;
    case kIzy: std::snprintf(operand, sizeof operand, "($%02X),Y", b1); break;
    case kRel:
      std::snprintf(operand, sizeof operand, "$%04X", static_cast<uint16_t>(c.pc + 2 + static_cast<int8_t>(b1)));
      break;
  }
  // PPU position at this CPU cycle (the catch-up PPU may lag; project forward).
  const PpuState& p = m.s.ppu;
  const uint64_t target = c.cycles * 3 + kPpuPhase;
  int64_t pos = int64_t{p.line} * 341 + p.dot + static_cast<int64_t>(target > p.clock ? target - p.clock : 0);
  pos %= 262 * 341;
  char text[160];
  const bool unofficial = op.name[0] == '*';
  std::snprintf(text, sizeof text, "%04X  %s %s %-28sA:%02X X:%02X Y:%02X P:%02X SP:%02X PPU:%3d,%3d CYC:%llu", c.pc,
                raw, unofficial ? op.name : (std::string(" ") + op.name).c_str(), operand, c.a, c.x, c.y, c.p, c.sp,
                static_cast<int>(pos / 341), static_cast<int>(pos % 341), static_cast<unsigned long long>(c.cycles));
  return text;
}

}  // namespace mario_rl::nes
