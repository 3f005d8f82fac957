// Entry point of the shmstate addon: registers the NativeSegment class, the code table and
// the limits, and takes the JS error class through initialize() (better-sqlite3's pattern)
// so every native failure is thrown as a real ShmStateError.
#include "addon.h"

#include "segment_wrap.h"
#include "shmstate.h"

namespace {

// The rows of errors.def except OK: the codes a ShmStateError can carry.
Napi::Array ErrorCodeTable(Napi::Env env) {
  Napi::Array table = Napi::Array::New(env);
  uint32_t index = 0;
#define X(symbol, number, meaning)                         \
  if ((number) != 0) {                                     \
    Napi::Object row = Napi::Object::New(env);             \
    row.Set("code", Napi::String::New(env, #symbol));      \
    row.Set("number", Napi::Number::New(env, (number)));   \
    row.Set("meaning", Napi::String::New(env, (meaning))); \
    table.Set(index++, row);                               \
  }
#include "errors.def"
#undef X
  return table;
}

Napi::Object Limits(Napi::Env env) {
  Napi::Object limits = Napi::Object::New(env);
  limits.Set("nameMax", Napi::Number::New(env, SHMSTATE_NAME_MAX));
  limits.Set("capacityMin", Napi::Number::New(env, SHMSTATE_CAPACITY_MIN));
  limits.Set("capacityMax", Napi::Number::New(env, static_cast<double>(SHMSTATE_CAPACITY_MAX)));
  limits.Set("defaultMode", Napi::Number::New(env, SHMSTATE_DEFAULT_MODE));
  limits.Set("defaultLockTimeoutMs", Napi::Number::New(env, SHMSTATE_DEFAULT_LOCK_TIMEOUT_MS));
  return limits;
}

}  // namespace

ShmStateAddon::ShmStateAddon(Napi::Env env, Napi::Object exports) {
  segment_constructor = Napi::Persistent(SegmentWrap::DefineClass(env));
  DefineAddon(exports,
              {
                  InstanceMethod("initialize", &ShmStateAddon::Initialize),
                  InstanceValue("NativeSegment", segment_constructor.Value(), napi_enumerable),
                  InstanceValue("errorCodes", ErrorCodeTable(env), napi_enumerable),
                  InstanceValue("limits", Limits(env), napi_enumerable),
              });
}

Napi::Value ShmStateAddon::Initialize(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) {
    // No ShmStateError to throw yet: the class is what is missing.
    throw Napi::TypeError::New(info.Env(), "initialize() expects the ShmStateError class");
  }
  error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

NODE_API_ADDON(ShmStateAddon)
