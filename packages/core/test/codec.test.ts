/**
 * The wire format on its own: what encodes, what it encodes to, and how untrusted bytes
 * that are not UTF-8 JSON are refused.
 */
import test from 'ava';
import { decodeState, encodeState, MAX_DEPTH, ShmStateError } from '../src';

test('a state in the dialect encodes to its JSON text as UTF-8', (t) => {
  const bytes = encodeState({ name: 'zoë', list: [1, 2.5, null, true], nested: { 'a key': '😀' } });
  t.is(bytes.toString('utf8'), '{"name":"zoë","list":[1,2.5,null,true],"nested":{"a key":"😀"}}');
});

test('-0 encodes as 0, as JSON.stringify writes it', (t) => {
  t.is(encodeState({ x: -0 }).toString(), '{"x":0}');
});

test('nesting of exactly MAX_DEPTH levels encodes', (t) => {
  let deep: unknown = 'leaf';
  for (let level = 0; level < MAX_DEPTH; level += 1) deep = [deep];
  t.notThrows(() => encodeState(deep));
});

test('the same object twice (shared, not a cycle) encodes as two copies', (t) => {
  const shared = { x: 1 };
  t.is(encodeState({ a: shared, b: shared }).toString(), '{"a":{"x":1},"b":{"x":1}}');
});

test('keys that are not identifiers are quoted in the path of an error', (t) => {
  const error = t.throws(() => encodeState({ 'my key': [{ 'x-y': undefined }] }), {
    instanceOf: ShmStateError,
  });
  t.is(error.code, 'E_ENCODE');
  t.is(error.message, 'state["my key"][0]["x-y"] is undefined (E_ENCODE)');
});

test('decodeState parses UTF-8 JSON', (t) => {
  t.deepEqual(decodeState(Buffer.from('{"a":[1,"é"]}')), { a: [1, 'é'] });
});

test('bytes that are not valid UTF-8 decode to E_CORRUPT', (t) => {
  const error = t.throws(() => decodeState(Buffer.from([0x22, 0xc3, 0x28, 0x22])), {
    instanceOf: ShmStateError,
  });
  t.is(error.code, 'E_CORRUPT');
  t.regex(error.message, /not valid UTF-8/);
});

test('UTF-8 that is not JSON decodes to E_CORRUPT', (t) => {
  const error = t.throws(() => decodeState(Buffer.from('{"a":')), { instanceOf: ShmStateError });
  t.is(error.code, 'E_CORRUPT');
  t.regex(error.message, /not valid JSON/);
});

test('an empty payload decodes to E_CORRUPT', (t) => {
  const error = t.throws(() => decodeState(new Uint8Array(0)), { instanceOf: ShmStateError });
  t.is(error.code, 'E_CORRUPT');
});

test('a byte order mark is not JSON and decodes to E_CORRUPT', (t) => {
  const error = t.throws(() => decodeState(Buffer.from('\ufeff{}')), { instanceOf: ShmStateError });
  t.is(error.code, 'E_CORRUPT');
});
