#include <string>

#include "common/error.h"
#include "nes/mappers/mapper.h"

namespace mario_rl::nes {

std::unique_ptr<Mapper> CreateNrom(Machine& machine);
std::unique_ptr<Mapper> CreateMmc1(Machine& machine);
std::unique_ptr<Mapper> CreateUxrom(Machine& machine);
std::unique_ptr<Mapper> CreateCnrom(Machine& machine);
std::unique_ptr<Mapper> CreateMmc3(Machine& machine);
std::unique_ptr<Mapper> CreateAxrom(Machine& machine);

std::unique_ptr<Mapper> CreateMapper(int number, Machine& machine) {
  switch (number) {
    case 0: return CreateNrom(machine);
    case 1: return CreateMmc1(machine);
    case 2: return CreateUxrom(machine);
    case 3: return CreateCnrom(machine);
    case 4: return CreateMmc3(machine);
    case 7: return CreateAxrom(machine);
    default: throw Error("Unsupported mapper " + std::to_string(number));
  }
}

}  // namespace mario_rl::nes
