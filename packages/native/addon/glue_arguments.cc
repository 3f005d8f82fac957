// Argument checks of the glue: the TypeScript layer (src/argument-checks.ts) validates every
// argument first, so these only stop a caller that skips it from crashing the process.
#include "glue_arguments.h"

#include <cmath>
#include <cstdio>
#include <string>

#include "throw_error.h"

// What a wrong argument was, for messages: "a string", "-1", "undefined".
std::string Describe(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined:
      return "undefined";
    case napi_null:
      return "null";
    case napi_number: {
      char text[32];
      std::snprintf(text, sizeof text, "%.17g", value.As<Napi::Number>().DoubleValue());
      return text;
    }
    case napi_boolean:
      return value.As<Napi::Boolean>().Value() ? "true" : "false";
    case napi_string:
      return "a string";
    case napi_function:
      return "a function";
    case napi_bigint:
      return "a bigint";
    case napi_symbol:
      return "a symbol";
    default:
      return "an object";
  }
}

// A bad argument, as the TypeScript checks (src/argument-checks.ts) report one: E_INVALID.
// They run first, so these are only reached by a caller that skips them.
[[noreturn]] void ThrowInvalid(const Napi::CallbackInfo& info, size_t index, const char* what,
                               const char* kind) {
  Napi::Value value = info.Length() > index ? info[index] : info.Env().Undefined();
  std::string message =
      std::string("Argument \"") + what + "\" must be " + kind + ", got " + Describe(value);
  ThrowShmStateCode(info.Env(), SHMSTATE_E_INVALID, message.c_str());
}

std::string NameArgument(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) ThrowInvalid(info, 0, "name", "a string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  // C strings end at NUL: "a\0b" would silently become "a", so refuse it here.
  if (name.find('\0') != std::string::npos) {
    ThrowShmStateCode(info.Env(), SHMSTATE_E_NAME, "segment name contains a NUL byte");
  }
  return name;
}

// A non-negative integer below 2^53 (what the TypeScript checks let through).
double NumberArgument(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsNumber()) {
    ThrowInvalid(info, index, what, "a non-negative integer");
  }
  double value = info[index].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(value) || value < 0 || value > 9007199254740991.0 ||
      value != std::floor(value)) {
    ThrowInvalid(info, index, what, "a non-negative integer");
  }
  return value;
}

Napi::Uint8Array BytesArgument(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsTypedArray() ||
      info[index].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowInvalid(info, index, what, "a Uint8Array");
  }
  return info[index].As<Napi::Uint8Array>();
}

// The version a commit publishes: absent or undefined means the next one (*at stays
// false); a number is passed to the core as is, which refuses 0.
uint64_t VersionArgument(const Napi::CallbackInfo& info, size_t index, const char* what, bool* at) {
  *at = info.Length() > index && !info[index].IsUndefined();
  return *at ? static_cast<uint64_t>(NumberArgument(info, index, what)) : 0;
}

// The open options of open() and openWait() at `index` (trust) and `index + 1` (readOnly):
// trust a string in the core's grammar or undefined (the environment's), readOnly a boolean.
// `trust` must outlive the options.
shmstate_open_options OpenOptionsArguments(const Napi::CallbackInfo& info, size_t index,
                                           std::string* trust) {
  shmstate_open_options options{};
  if (info.Length() > index && info[index].IsString()) {
    *trust = info[index].As<Napi::String>().Utf8Value();
    options.trust = trust->c_str();
  }
  options.read_only = info.Length() > index + 1 && info[index + 1].ToBoolean().Value() ? 1 : 0;
  return options;
}
