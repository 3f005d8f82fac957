/**
 * RFC 6901 JSON Pointers on their own: parsing into tokens, escapes, the root, errors.
 */
import test from 'ava';
import { ShmStateError } from '../src';
import { formatJsonPointer, parseJsonPointer } from '../src/json-pointer';

test('the empty pointer is the root: no tokens', (t) => {
  t.deepEqual(parseJsonPointer(''), []);
});

test('"/" is one empty token, the key ""', (t) => {
  t.deepEqual(parseJsonPointer('/'), ['']);
});

test('each "/" starts a token, empty ones included', (t) => {
  t.deepEqual(parseJsonPointer('/a//b/'), ['a', '', 'b', '']);
});

test('~1 is "/" and ~0 is "~"', (t) => {
  t.deepEqual(parseJsonPointer('/a~1b/m~0n'), ['a/b', 'm~n']);
});

test('~01 is the key "~1" (~1 is unescaped before ~0)', (t) => {
  t.deepEqual(parseJsonPointer('/~01'), ['~1']);
});

test('the RFC 6901 section 5 pointers parse to their keys', (t) => {
  const cases: Array<[string, string[]]> = [
    ['/foo', ['foo']],
    ['/foo/0', ['foo', '0']],
    ['/a~1b', ['a/b']],
    ['/c%d', ['c%d']],
    ['/e^f', ['e^f']],
    ['/g|h', ['g|h']],
    ['/i\\j', ['i\\j']],
    ['/k"l', ['k"l']],
    ['/ ', [' ']],
    ['/m~0n', ['m~n']],
  ];
  for (const [pointer, tokens] of cases) t.deepEqual(parseJsonPointer(pointer), tokens, pointer);
});

test('"-" and numbers stay string tokens (their meaning depends on the value)', (t) => {
  t.deepEqual(parseJsonPointer('/-/01/0'), ['-', '01', '0']);
});

test('a pointer that does not start with "/" is E_PATCH naming it', (t) => {
  const error = t.throws(() => parseJsonPointer('a/b'), { instanceOf: ShmStateError });
  t.is(error.code, 'E_PATCH');
  t.is(error.message, 'JSON pointer "a/b" is not empty and does not start with "/" (E_PATCH)');
});

test('a "~" not followed by 0 or 1 is E_PATCH naming the pointer', (t) => {
  for (const pointer of ['/a~2', '/a~', '/~/b']) {
    const error = t.throws(() => parseJsonPointer(pointer), { instanceOf: ShmStateError });
    t.is(error.code, 'E_PATCH');
    t.is(
      error.message,
      `JSON pointer ${JSON.stringify(pointer)} has a "~" not followed by "0" or "1" (E_PATCH)`,
    );
  }
});

test('a pointer that is not a string is E_PATCH', (t) => {
  const error = t.throws(() => parseJsonPointer(3 as unknown as string), {
    instanceOf: ShmStateError,
  });
  t.is(error.code, 'E_PATCH');
  t.is(error.message, 'JSON pointer 3 is not a string (E_PATCH)');
});

test('formatJsonPointer escapes "~" then "/" and writes indices as decimals', (t) => {
  t.is(formatJsonPointer(['a/b', 'm~n', 0, '~1', '']), '/a~1b/m~0n/0/~01/');
});

test('formatJsonPointer of no tokens is the root, ""', (t) => {
  t.is(formatJsonPointer([]), '');
});

test('format then parse gives the tokens back', (t) => {
  const tokens = ['', '/', '~', '~0', '~1', '/~', 'a b', 'ü', '-', '01'];
  t.deepEqual(parseJsonPointer(formatJsonPointer(tokens)), tokens);
});
