// Reading the raw VecEnv config objects (already validated in TS) in the env bindings: every
// getter re-checks the type and throws TypeError/RangeError naming the key.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "binding/napi_util.h"
#include "env/preprocess.h"

namespace mario_rl {

inline std::string GetString(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), ExpectedMessage("a string", key, DescribeValue(v)));
  return v.As<Napi::String>().Utf8Value();
}

inline double GetNumber(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), ExpectedMessage("a number", key, DescribeValue(v)));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d))
    throw Napi::RangeError::New(o.Env(), ExpectedMessage("a finite number", key, DescribeValue(v)));
  return d;
}

inline int GetInt(Napi::Object o, const char* key) {
  const double d = GetNumber(o, key);
  if (d != std::floor(d) || std::fabs(d) > 2147483647.0) {
    throw Napi::RangeError::New(o.Env(), ExpectedMessage("an integer", key, std::to_string(d)));
  }
  return static_cast<int>(d);
}

inline bool GetBool(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsBoolean()) throw Napi::TypeError::New(o.Env(), ExpectedMessage("a boolean", key, DescribeValue(v)));
  return v.As<Napi::Boolean>().Value();
}

inline env::ObsSpec ReadObsSpec(Napi::Object o) {
  env::ObsSpec spec;
  spec.width = GetInt(o, "width");
  spec.height = GetInt(o, "height");
  spec.stack = GetInt(o, "stack");
  spec.grayscale = GetBool(o, "grayscale");
  spec.crop_top = GetInt(o, "cropTop");
  spec.crop_bottom = GetInt(o, "cropBottom");
  spec.crop_left = GetInt(o, "cropLeft");
  spec.crop_right = GetInt(o, "cropRight");
  return spec;
}

inline uint64_t SeedFrom(Napi::Env env, Napi::Value v) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, ExpectedMessage("an integer seed", "seed", DescribeValue(v)));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < 0 || d > 9007199254740991.0) {
    throw Napi::RangeError::New(env, ExpectedMessage("an integer in [0, 2^53-1]", "seed", DescribeValue(v)));
  }
  return static_cast<uint64_t>(d);
}

}  // namespace mario_rl
