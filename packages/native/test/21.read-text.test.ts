import test, { type ExecutionContext } from 'ava';
import { Segment, ShmStateError } from '../src/index';
import { segmentFor } from '../../../test/helpers';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function segmentWith(t: ExecutionContext, bytes: Uint8Array): Segment {
  const segment = Segment.create(segmentFor(t, 'read-text'), { capacity: 256, initial: bytes });
  t.teardown(() => segment.close());
  return segment;
}

test('readText() returns the committed text and its version', (t) => {
  const segment = segmentWith(t, Buffer.from('{"a":1}'));
  t.deepEqual(segment.readText(), { version: 1, text: '{"a":1}' });
  const text = '{"s":"café 中文 😀 𝄞 \\u2028"}';
  const version = segment.commit(Buffer.from(text));
  t.deepEqual(segment.readText(), { version, text });
});

test('readText() of an empty payload is the empty string', (t) => {
  const segment = segmentWith(t, new Uint8Array(0));
  t.deepEqual(segment.readText(), { version: 1, text: '' });
});

const malformed: Array<[string, number[]]> = [
  ['a lone continuation byte', [0x41, 0x80]],
  ['an overlong 2-byte form', [0xc0, 0x80]],
  ['an overlong 3-byte form', [0xe0, 0x80, 0x80]],
  ['an overlong 4-byte form', [0xf0, 0x80, 0x80, 0x80]],
  ['a surrogate (U+D800)', [0xed, 0xa0, 0x80]],
  ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ['an F5 lead byte', [0xf5, 0x80, 0x80, 0x80]],
  ['a truncated 3-byte sequence', [0x22, 0xe2, 0x82]],
  ['a truncated sequence after ASCII words', [...Buffer.from('0123456789abcdef'), 0xf0, 0x9f]],
];

for (const [what, bytes] of malformed) {
  test(`readText() refuses ${what} with E_CORRUPT`, (t) => {
    const segment = segmentWith(t, Uint8Array.from(bytes));
    const error = t.throws(() => segment.readText(), { instanceOf: ShmStateError });
    t.is(error?.code, 'E_CORRUPT');
    t.regex(error?.message ?? '', /not valid UTF-8/);
  });
}

test('readText() accepts the edges of the valid ranges', (t) => {
  const edges = [
    [0xed, 0x9f, 0xbf], // U+D7FF, just below the surrogates
    [0xee, 0x80, 0x80], // U+E000, just above them
    [0xf4, 0x8f, 0xbf, 0xbf], // U+10FFFF
    [0xc2, 0x80], // U+0080
    [0xef, 0xbb, 0xbf], // a byte order mark is valid UTF-8 (and not JSON)
  ];
  for (const bytes of edges) {
    const segment = segmentWith(t, Uint8Array.from(bytes));
    t.is(segment.readText().text, strict.decode(Uint8Array.from(bytes)));
  }
});

test('readText() agrees with a strict TextDecoder on random bytes', (t) => {
  const segment = segmentWith(t, new Uint8Array(0));
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  let valid = 0;
  for (let round = 0; round < 3000; round += 1) {
    // Mostly bytes near the multi-byte lead and continuation ranges, so both outcomes occur.
    const bytes = Uint8Array.from({ length: 1 + (random() % 12) }, () =>
      random() % 3 === 0 ? random() % 0x80 : 0x80 + (random() % 0x80),
    );
    segment.commit(bytes);
    let expected: string | undefined;
    try {
      expected = strict.decode(bytes);
    } catch {
      expected = undefined;
    }
    if (expected === undefined) {
      t.throws(() => segment.readText(), { instanceOf: ShmStateError });
    } else {
      valid += 1;
      t.is(segment.readText().text, expected);
    }
  }
  t.true(valid > 50, `random inputs include valid text (${valid})`);
});
