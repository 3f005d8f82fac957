// One thrower for every native failure, so codes, errno and messages are built the same way.
#include "throw_error.h"

#include <cstdio>
#include <cstring>

#include "addon.h"

Napi::Error MakeShmStateError(Napi::Env env, const shmstate_error& err) {
  const char* code = shmstate_code_name(err.code);
  // A message may be empty if the core failed before writing one: fall back to the
  // code's meaning so the error never reads as a bare code.
  const char* message = err.message[0] != '\0' ? err.message : shmstate_code_meaning(err.code);
  Napi::Value errno_value =
      err.sys_errno != 0 ? Napi::Value(Napi::Number::New(env, err.sys_errno)) : env.Undefined();

  ShmStateAddon* addon = env.GetInstanceData<ShmStateAddon>();
  if (addon != nullptr && !addon->error_class.IsEmpty()) {
    Napi::Object instance = addon->error_class.New(
        {Napi::String::New(env, message), Napi::String::New(env, code), errno_value});
    return Napi::Error(env, instance);
  }
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  if (err.sys_errno != 0) error.Set("errno", errno_value);
  return error;
}

void ThrowShmStateError(Napi::Env env, const shmstate_error& err) {
  throw MakeShmStateError(env, err);
}

void ThrowShmStateCode(Napi::Env env, int code, const char* message) {
  shmstate_error err{};
  err.code = code;
  err.sys_errno = 0;
  std::snprintf(err.message, sizeof err.message, "%s", message);
  ThrowShmStateError(env, err);
}
