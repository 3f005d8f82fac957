// Turns a shmstate_error into a JS ShmStateError (code, errno, message).
#ifndef SHMSTATE_ADDON_THROW_ERROR_H
#define SHMSTATE_ADDON_THROW_ERROR_H

#include <napi.h>

#include "shmstate.h"

// A ShmStateError instance for `err`, built with the class given to initialize(); a plain
// Error carrying .code and .errno if initialize() was never called.
Napi::Error MakeShmStateError(Napi::Env env, const shmstate_error& err);

// Throws MakeShmStateError(env, err) as a C++ exception (NAPI_CPP_EXCEPTIONS).
[[noreturn]] void ThrowShmStateError(Napi::Env env, const shmstate_error& err);

// Throws a ShmStateError with `code` (SHMSTATE_E_*) and `message`, no errno: for failures
// the glue detects itself (a closed segment, a name with a NUL byte).
[[noreturn]] void ThrowShmStateCode(Napi::Env env, int code, const char* message);

#endif  // SHMSTATE_ADDON_THROW_ERROR_H
