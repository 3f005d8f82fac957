import test, { type ExecutionContext } from 'ava';
import { Segment, ShmStateError } from '../src/index';
import { segmentFor } from '../../../test/helpers';

const CAPACITY = 256;

function segment(t: ExecutionContext): Segment {
  const created = Segment.create(segmentFor(t, 'commit-text'), {
    capacity: CAPACITY,
    initial: Buffer.from('{}'),
  });
  t.teardown(() => created.close());
  return created;
}

test('commitText() commits the UTF-8 bytes Buffer.from would make', (t) => {
  const seg = segment(t);
  const texts = [
    '',
    '{"a":1}',
    '{"s":"café 中文 😀 𝄞 \\u2028"}',
    'lone \ud800 surrogate', // becomes U+FFFD, as with Buffer.from
    '\u0000 and \u007f',
  ];
  for (const text of texts) {
    const version = seg.commitText(text);
    t.deepEqual(seg.read(), { version, bytes: Buffer.from(text, 'utf8') }, text);
  }
});

test('commitText() fills the capacity exactly, whatever the width of the last character', (t) => {
  const seg = segment(t);
  for (const last of ['a', 'é', '中', '😀']) {
    const lastBytes = Buffer.byteLength(last);
    const text = 'x'.repeat(CAPACITY - lastBytes) + last;
    seg.commitText(text);
    t.is(seg.readText().text, text);
  }
});

test('commitText() of a text one character too long is E_CAPACITY with its real size', (t) => {
  const seg = segment(t);
  const before = seg.read();
  // Every width of the character that crosses the limit: napi would cut it at a character
  // boundary, which must never be committed as if it were the whole text.
  for (const last of ['a', 'é', '中', '😀']) {
    const text = 'x'.repeat(CAPACITY - Buffer.byteLength(last) + 1) + last;
    const error = t.throws(() => seg.commitText(text), { instanceOf: ShmStateError });
    t.is(error?.code, 'E_CAPACITY');
    t.is(
      error?.message,
      `state is ${Buffer.byteLength(text)} bytes; capacity is ${CAPACITY} (E_CAPACITY)`,
    );
  }
  t.deepEqual(seg.read(), before);
});

test('commitText() honours expectedVersion like commit()', (t) => {
  const seg = segment(t);
  const version = seg.commitText('{"n":1}', { expectedVersion: 1 });
  t.is(version, 2);
  const error = t.throws(() => seg.commitText('{"n":2}', { expectedVersion: 1 }), {
    instanceOf: ShmStateError,
  });
  t.is(error?.code, 'E_CONFLICT');
  t.is(seg.readText().text, '{"n":1}');
});

test('commitText() refuses what is not a string, and a closed segment', (t) => {
  const seg = segment(t);
  t.throws(() => seg.commitText(Buffer.from('{}') as unknown as string), {
    instanceOf: ShmStateError,
    code: 'E_INVALID',
    message: 'Argument "text" must be a string, got a Buffer (E_INVALID)',
  });
  t.throws(() => seg.commitText('{}', { expectedVersion: 0 }), {
    instanceOf: ShmStateError,
    code: 'E_INVALID',
  });
  seg.close();
  const error = t.throws(() => seg.commitText('{}'), { instanceOf: ShmStateError });
  t.is(error?.code, 'E_CLOSED');
});

test('a read after commitText() still gets the whole payload (the buffers are shared)', (t) => {
  const seg = segment(t);
  seg.commitText('y'.repeat(CAPACITY));
  t.is(seg.readText().text.length, CAPACITY);
  seg.commitText('{"short":true}');
  t.is(seg.readText().text, '{"short":true}');
  t.is(seg.read().bytes.toString(), '{"short":true}');
});
