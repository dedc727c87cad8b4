#include "binding/napi_util.h"

#include <cmath>

namespace mario_rl {

void ThrowJs(Napi::Env env, const std::exception& e) {
  if (const auto* err = dynamic_cast<const Error*>(&e)) {
    switch (err->kind()) {
      case ErrorKind::kTypeError: throw Napi::TypeError::New(env, err->what());
      case ErrorKind::kRangeError: throw Napi::RangeError::New(env, err->what());
      case ErrorKind::kError: break;
    }
    throw Napi::Error::New(env, err->what());
  }
  if (dynamic_cast<const std::bad_alloc*>(&e)) throw Napi::RangeError::New(env, "Out of memory");
  throw Napi::Error::New(env, std::string("mario-rl native error: ") + e.what());
}

std::string DescribeValue(const Napi::Value& value) {
  if (value.IsUndefined()) return "undefined";
  if (value.IsNull()) return "null";
  if (value.IsBoolean()) return value.As<Napi::Boolean>().Value() ? "true" : "false";
  if (value.IsNumber()) {
    const double d = value.As<Napi::Number>().DoubleValue();
    if (std::isnan(d)) return "NaN";
    std::string s = std::to_string(d);
    if (d == std::floor(d) && std::fabs(d) < 1e15) s = std::to_string(static_cast<long long>(d));
    return s;
  }
  if (value.IsString()) return "a string";
  if (value.IsTypedArray()) {
    static const char* kNames[] = {"Int8Array",    "Uint8Array",    "Uint8ClampedArray", "Int16Array",
                                   "Uint16Array",  "Int32Array",    "Uint32Array",       "Float32Array",
                                   "Float64Array", "BigInt64Array", "BigUint64Array"};
    auto ta = value.As<Napi::TypedArray>();
    const auto t = static_cast<size_t>(ta.TypedArrayType());
    const char* name = t < sizeof(kNames) / sizeof(kNames[0]) ? kNames[t] : "TypedArray";
    return std::string(name) + "(" + std::to_string(ta.ElementLength()) + ")";
  }
  if (value.IsArray()) return "an array";
  if (value.IsFunction()) return "a function";
  if (value.IsObject()) return "an object";
  return "a value of unknown type";
}

Napi::TypedArray ExpectTypedArray(const Napi::CallbackInfo& info, size_t index, napi_typedarray_type type,
                                  const char* type_name, const char* name) {
  Napi::Value v = info[index];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(info.Env(), ExpectedMessage(std::string("a ") + type_name, name, DescribeValue(v)));
  }
  return v.As<Napi::TypedArray>();
}

Napi::Uint8Array ExpectUint8Array(const Napi::CallbackInfo& info, size_t index, const char* name) {
  return ExpectTypedArray(info, index, napi_uint8_array, "Uint8Array", name).As<Napi::Uint8Array>();
}

void ExpectLength(Napi::Env env, const Napi::TypedArray& array, size_t expected, const char* name) {
  if (array.ElementLength() != expected) {
    throw Napi::RangeError::New(env, ExpectedMessage("length " + std::to_string(expected), name,
                                                     "length " + std::to_string(array.ElementLength())));
  }
}

int64_t ExpectInteger(const Napi::CallbackInfo& info, size_t index, int64_t lo, int64_t hi, const char* name) {
  Napi::Value v = info[index];
  const std::string what = "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), ExpectedMessage(what, name, DescribeValue(v)));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
    throw Napi::RangeError::New(info.Env(), ExpectedMessage(what, name, DescribeValue(v)));
  }
  return static_cast<int64_t>(d);
}

}  // namespace mario_rl
