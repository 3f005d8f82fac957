// Strict UTF-8 validation of a payload before it becomes a JS string: V8 would silently
// replace malformed sequences with U+FFFD, handing the reader a state nobody wrote.
#ifndef SHMSTATE_ADDON_UTF8_CHECK_H
#define SHMSTATE_ADDON_UTF8_CHECK_H

#include <cstddef>
#include <cstdint>

// True when `data` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF), the same rule as TextDecoder('utf-8', { fatal: true }).
bool IsValidUtf8(const uint8_t* data, size_t length);

#endif  // SHMSTATE_ADDON_UTF8_CHECK_H
