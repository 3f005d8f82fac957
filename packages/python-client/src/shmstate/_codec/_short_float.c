/*
 * short_float_repr(x, out): float.__repr__ of `x` without the general algorithm, for the
 * doubles states are mostly made of: those with a short decimal form (3.0, 0.5, 20.1,
 * 12.345, 1.0625) in the range repr writes in fixed notation. Returns the length written
 * to `out` (at most SHORT_FLOAT_MAX bytes, no terminator), or 0 when `x` is not such a
 * value; the caller then uses PyOS_double_to_string, which handles every double. The
 * general algorithm costs ~200 ns a float here, most of the C encoder's time on a state
 * of sensor readings; this path costs a few multiplications and divisions.
 *
 * Why the text is repr's. repr(x) is the decimal with the fewest significant digits that
 * reads back as x (the one nearest x if several), in fixed notation when
 * 1e-4 <= |x| < 1e16, with ".0" after an integral value. For j = 0, 1, ... up to
 * MAX_FRACTION_DIGITS this takes N = nearbyint(x * 10^j) and accepts the first j for which
 * N / 10^j == x, as long as |x * 10^j| < 2^50:
 *  - 10^j (j <= 22) and N (< 2^50) are exact doubles and IEEE division rounds correctly,
 *    so N / 10^j == x exactly when the decimal N * 10^-j reads back as x.
 *  - If some j-digit decimal M * 10^-j reads back as x, N is M: with p = x * 10^j, M is
 *    within half an ulp of x scaled, |p - M| <= 10^j * ulp(x) / 2 <= ulp(p), the rounded
 *    product adds at most ulp(p) / 2, and ulp(p) <= 1/8 below 2^50, so the computed
 *    product is within 3/16 of M and nearbyint returns M. Below 2^50 no two j-digit
 *    decimals can both read back (that needs 10^j * ulp(x) >= 1), so M is also the nearest.
 *  - The first j that passes has the fewest fraction digits, hence (the integer digits
 *    being fixed by the magnitude) the fewest significant digits, and no trailing zero
 *    (N ending in 0 would have passed at j - 1): repr's digits, which the range keeps in
 *    fixed notation. An integral x passes at j = 0 and is written "N.0", as repr does.
 * The argument needs every operation rounded to double: where intermediate results are
 * kept wider (x87 arithmetic, FLT_EVAL_METHOD != 0), every value takes the general path.
 * tests/test_82_encode.py compares it with repr over many values of every kind.
 */
#include "_codec.h"

#include <float.h>
#include <math.h>
#include <stdint.h>

enum { MAX_FRACTION_DIGITS = 8 };

static const double POWERS_OF_TEN[MAX_FRACTION_DIGITS + 1] = {1e0, 1e1, 1e2, 1e3, 1e4,
                                                              1e5, 1e6, 1e7, 1e8};
static const uint64_t INTEGER_POWERS_OF_TEN[MAX_FRACTION_DIGITS + 1] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

/* 2^50: the bound on |x * 10^j| under which the argument above holds. */
#define SCALED_LIMIT 1125899906842624.0

/* The decimal digits of `n`, most significant first; returns their count. */
static int put_digits(uint64_t n, char* out) {
  char reversed[20];
  int count = 0;
  do {
    reversed[count++] = (char)('0' + n % 10);
    n /= 10;
  } while (n != 0);
  for (int i = 0; i < count; i++) out[i] = reversed[count - 1 - i];
  return count;
}

int short_float_repr(double x, char out[SHORT_FLOAT_MAX]) {
  if (FLT_EVAL_METHOD != 0) return 0; /* wider intermediates: the argument does not hold */
  double magnitude = fabs(x);
  /* repr switches to exponent notation below 1e-4; zero is in fixed notation. */
  if (!(magnitude >= 1e-4 || magnitude == 0.0)) return 0;
  for (int j = 0; j <= MAX_FRACTION_DIGITS; j++) {
    double scaled = magnitude * POWERS_OF_TEN[j];
    if (!(scaled < SCALED_LIMIT)) return 0;
    double n = nearbyint(scaled);
    if (n / POWERS_OF_TEN[j] != magnitude) continue;
    uint64_t digits = (uint64_t)n;
    int length = 0;
    if (signbit(x)) out[length++] = '-';
    length += put_digits(digits / INTEGER_POWERS_OF_TEN[j], out + length);
    out[length++] = '.';
    if (j == 0) {
      out[length++] = '0';
      return length;
    }
    /* The fraction, zero-padded to j digits: 5 * 10^-4 is "0.0005". */
    uint64_t fraction = digits % INTEGER_POWERS_OF_TEN[j];
    char fraction_digits[20];
    int count = put_digits(fraction, fraction_digits);
    for (int pad = count; pad < j; pad++) out[length++] = '0';
    for (int i = 0; i < count; i++) out[length++] = fraction_digits[i];
    return length;
  }
  return 0;
}
