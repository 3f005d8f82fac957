#include "utf8_check.h"

#include <cstring>

namespace {

bool IsContinuation(uint8_t byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

bool IsValidUtf8(const uint8_t* data, size_t length) {
  size_t i = 0;
  while (i < length) {
    // JSON text is mostly ASCII: skip it eight bytes at a time.
    if (i + 8 <= length) {
      uint64_t word;
      std::memcpy(&word, data + i, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    uint8_t lead = data[i];
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    // The allowed range of the second byte depends on the lead byte (Unicode table 3-7).
    size_t need;
    uint8_t low = 0x80, high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      need = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      need = 2;
      if (lead == 0xE0) low = 0xA0;   // no overlong 3-byte forms
      if (lead == 0xED) high = 0x9F;  // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      need = 3;
      if (lead == 0xF0) low = 0x90;   // no overlong 4-byte forms
      if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
    } else {
      return false;  // a continuation byte, C0/C1 or F5..FF as a lead
    }
    if (length - i <= need) return false;
    if (data[i + 1] < low || data[i + 1] > high) return false;
    for (size_t k = 2; k <= need; k++) {
      if (!IsContinuation(data[i + k])) return false;
    }
    i += need + 1;
  }
  return true;
}
