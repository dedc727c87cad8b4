// Helpers shared by the N-API wrappers: converting core errors to JS errors, and re-checking the
// typed arrays TS already validated (C++ never trusts its caller: wrong type or size throws).
#pragma once

#include <napi.h>

#include <cstddef>
#include <string>

#include "common/error.h"

namespace mario_rl {

// Rethrows a core exception as the matching JS error. Use in a catch block:
//   try { ... } catch (const std::exception& e) { ThrowJs(env, e); return env.Undefined(); }
void ThrowJs(Napi::Env env, const std::exception& e);

// Wraps a binding body so any core exception becomes a JS exception (never a crash).
template <typename Fn>
auto Guard(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    ThrowJs(env, e);
    return decltype(fn())();
  }
}

// Returns arg as a typed array of the given type, else throws TypeError naming `name`.
Napi::TypedArray ExpectTypedArray(const Napi::CallbackInfo& info, size_t index, napi_typedarray_type type,
                                  const char* type_name, const char* name);

// Byte pointer of a Uint8Array/Buffer argument; throws TypeError if it is not one.
Napi::Uint8Array ExpectUint8Array(const Napi::CallbackInfo& info, size_t index, const char* name);

// Throws RangeError unless array.ElementLength() == expected.
void ExpectLength(Napi::Env env, const Napi::TypedArray& array, size_t expected, const char* name);

// Number argument that must be an integer in [lo, hi]; throws TypeError/RangeError naming `name`.
int64_t ExpectInteger(const Napi::CallbackInfo& info, size_t index, int64_t lo, int64_t hi, const char* name);

// Describes a JS value for error messages ("a string", "300", "undefined", "Float32Array(3)").
std::string DescribeValue(const Napi::Value& value);

}  // namespace mario_rl
