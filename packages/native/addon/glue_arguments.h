// Argument checks shared by the glue's methods (glue_arguments.cc): each throws a
// ShmStateError with code E_INVALID naming the argument, as the TypeScript checks do.
#ifndef SHMSTATE_ADDON_GLUE_ARGUMENTS_H
#define SHMSTATE_ADDON_GLUE_ARGUMENTS_H

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "shmstate.h"

// What a wrong argument was, for messages: "a string", "-1", "undefined".
std::string Describe(const Napi::Value& value);
[[noreturn]] void ThrowInvalid(const Napi::CallbackInfo& info, size_t index, const char* what,
                               const char* kind);
// Argument 0, a segment name without NUL bytes (E_NAME otherwise).
std::string NameArgument(const Napi::CallbackInfo& info);
// A non-negative integer below 2^53.
double NumberArgument(const Napi::CallbackInfo& info, size_t index, const char* what);
Napi::Uint8Array BytesArgument(const Napi::CallbackInfo& info, size_t index, const char* what);
// Absent or undefined: *at = false, 0; else a version for the core to check.
uint64_t VersionArgument(const Napi::CallbackInfo& info, size_t index, const char* what, bool* at);

// The open options of open() and openWait() at `index` (trust: a string in the core's
// grammar, or undefined for the environment's) and `index + 1` (readOnly). `trust` holds the
// string and must outlive the options.
shmstate_open_options OpenOptionsArguments(const Napi::CallbackInfo& info, size_t index,
                                           std::string* trust);

#endif  // SHMSTATE_ADDON_GLUE_ARGUMENTS_H
