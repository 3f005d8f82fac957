/**
 * applyJsonPatch on its own: RFC 6902 Appendix A, every operation and error, structural
 * sharing and freezing, atomicity, and the encoded-size change.
 */
import test from 'ava';
import { deepFreeze, ShmStateError } from '../src';
import { applyJsonPatch } from '../src/apply-json-patch';
import type { JsonPatchOperation } from '../src/types';

const apply = (doc: unknown, ops: unknown): unknown =>
  applyJsonPatch(deepFreeze(doc), ops as JsonPatchOperation[]).state;

/** Applies, expecting a failure; returns the error after checking its class and code. */
function fails(
  t: import('ava').ExecutionContext,
  doc: unknown,
  ops: unknown,
  code: 'E_PATCH' | 'E_ENCODE' = 'E_PATCH',
): ShmStateError {
  const error = t.throws(() => apply(doc, ops), { instanceOf: ShmStateError });
  t.is(error.code, code);
  return error;
}

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

// RFC 6902 Appendix A, written out: each document, patch, and result or failure.
interface AppendixCase {
  section: string;
  doc: unknown;
  patch: unknown;
  expected?: unknown;
  error?: RegExp;
}
const appendixA: AppendixCase[] = [
  {
    section: 'A.1 adding an object member',
    doc: { foo: 'bar' },
    patch: [{ op: 'add', path: '/baz', value: 'qux' }],
    expected: { baz: 'qux', foo: 'bar' },
  },
  {
    section: 'A.2 adding an array element',
    doc: { foo: ['bar', 'baz'] },
    patch: [{ op: 'add', path: '/foo/1', value: 'qux' }],
    expected: { foo: ['bar', 'qux', 'baz'] },
  },
  {
    section: 'A.3 removing an object member',
    doc: { baz: 'qux', foo: 'bar' },
    patch: [{ op: 'remove', path: '/baz' }],
    expected: { foo: 'bar' },
  },
  {
    section: 'A.4 removing an array element',
    doc: { foo: ['bar', 'qux', 'baz'] },
    patch: [{ op: 'remove', path: '/foo/1' }],
    expected: { foo: ['bar', 'baz'] },
  },
  {
    section: 'A.5 replacing a value',
    doc: { baz: 'qux', foo: 'bar' },
    patch: [{ op: 'replace', path: '/baz', value: 'boo' }],
    expected: { baz: 'boo', foo: 'bar' },
  },
  {
    section: 'A.6 moving a value',
    doc: { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    patch: [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    expected: { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  },
  {
    section: 'A.7 moving an array element',
    doc: { foo: ['all', 'grass', 'cows', 'eat'] },
    patch: [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
    expected: { foo: ['all', 'cows', 'eat', 'grass'] },
  },
  {
    section: 'A.8 testing a value: success',
    doc: { baz: 'qux', foo: ['a', 2, 'c'] },
    patch: [
      { op: 'test', path: '/baz', value: 'qux' },
      { op: 'test', path: '/foo/1', value: 2 },
    ],
    expected: { baz: 'qux', foo: ['a', 2, 'c'] },
  },
  {
    section: 'A.9 testing a value: error',
    doc: { baz: 'qux' },
    patch: [{ op: 'test', path: '/baz', value: 'bar' }],
    error: /^JSON Patch op 0 .*: test failed: "\/baz" is "qux", not "bar" \(E_PATCH\)$/,
  },
  {
    section: 'A.10 adding a nested member object',
    doc: { foo: 'bar' },
    patch: [{ op: 'add', path: '/child', value: { grandchild: {} } }],
    expected: { foo: 'bar', child: { grandchild: {} } },
  },
  {
    section: 'A.11 ignoring unrecognized elements',
    doc: { foo: 'bar' },
    patch: [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }],
    expected: { foo: 'bar', baz: 'qux' },
  },
  {
    section: 'A.12 adding to a nonexistent target',
    doc: { foo: 'bar' },
    patch: [{ op: 'add', path: '/baz/bat', value: 'qux' }],
    error: /"\/baz\/bat" names nothing: the object at "" has no member "baz"/,
  },
  {
    // The RFC's patch repeats "op"; as JSON.parse reads it (the last "op" wins) it is a
    // remove of a member that does not exist, so it fails and is never taken as an add.
    section: 'A.13 invalid JSON Patch document (a repeated "op")',
    doc: { foo: 'bar' },
    patch: JSON.parse('[{ "op": "add", "path": "/baz", "value": "qux", "op": "remove" }]'),
    error: /"\/baz" names nothing/,
  },
  {
    section: 'A.14 ~ escape ordering',
    doc: { '/': 9, '~1': 10 },
    patch: [{ op: 'test', path: '/~01', value: 10 }],
    expected: { '/': 9, '~1': 10 },
  },
  {
    section: 'A.15 comparing strings and numbers',
    doc: { '/': 9, '~1': 10 },
    patch: [{ op: 'test', path: '/~01', value: '10' }],
    error: /test failed: "\/~01" is 10, not "10"/,
  },
  {
    section: 'A.16 adding an array value',
    doc: { foo: ['bar'] },
    patch: [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }],
    expected: { foo: ['bar', ['abc', 'def']] },
  },
];

for (const example of appendixA) {
  test(`RFC 6902 ${example.section}`, (t) => {
    if (example.error !== undefined) {
      t.regex(fails(t, example.doc, example.patch).message, example.error);
    } else {
      t.deepEqual(apply(example.doc, example.patch), example.expected);
    }
  });
}

// add

test('add at the empty pointer replaces the whole state', (t) => {
  t.deepEqual(apply({ a: 1 }, [{ op: 'add', path: '', value: [1] }]), [1]);
});

test('add of an existing member replaces its value', (t) => {
  t.deepEqual(apply({ a: 1, b: 2 }, [{ op: 'add', path: '/a', value: 3 }]), { a: 3, b: 2 });
});

test('add at index = length appends, "-" appends', (t) => {
  t.deepEqual(
    apply(
      [1],
      [
        { op: 'add', path: '/1', value: 2 },
        { op: 'add', path: '/-', value: 3 },
      ],
    ),
    [1, 2, 3],
  );
});

test('add past the end of an array is E_PATCH (index out of range)', (t) => {
  const error = fails(t, { a: [1, 2] }, [{ op: 'add', path: '/a/3', value: 0 }]);
  t.is(
    error.message,
    'JSON Patch op 0 {"op":"add","path":"/a/3","value":0}: "/a/3": index 3 is out of range (the array has 2 elements) (E_PATCH)',
  );
});

test('an array index with leading zeros is E_PATCH', (t) => {
  t.regex(
    fails(t, { a: [1, 2] }, [{ op: 'add', path: '/a/01', value: 0 }]).message,
    /"01" is not an array index \(leading zeros\)/,
  );
  t.regex(fails(t, [1, 2], [{ op: 'remove', path: '/00' }]).message, /leading zeros/);
});

test('an array index that is not decimal digits is E_PATCH', (t) => {
  for (const token of ['-1', '1.0', '1e0', ' 1', 'x', '']) {
    t.regex(
      fails(t, [1, 2], [{ op: 'replace', path: `/${token}`, value: 0 }]).message,
      /is not an array index/,
      token,
    );
  }
});

test('numeric-looking object keys are keys, leading zeros included', (t) => {
  t.deepEqual(
    apply({ '1': 'one' }, [
      { op: 'add', path: '/01', value: 'zero-one' },
      { op: 'replace', path: '/1', value: 'uno' },
      { op: 'add', path: '/-', value: 'dash' },
    ]),
    { '1': 'uno', '01': 'zero-one', '-': 'dash' },
  );
});

test('keys named like Object.prototype members are plain members', (t) => {
  const state = apply({}, [
    { op: 'add', path: '/__proto__', value: { x: 1 } },
    { op: 'add', path: '/constructor', value: 2 },
  ]) as Record<string, unknown>;
  t.is(Object.getPrototypeOf(state), Object.prototype);
  t.deepEqual(Object.keys(state), ['__proto__', 'constructor']);
  t.is(JSON.stringify(state), '{"__proto__":{"x":1},"constructor":2}');
  t.regex(fails(t, {}, [{ op: 'remove', path: '/toString' }]).message, /has no member "toString"/);
});

test('a copied object keeps an own "__proto__" member a member, narrow or wide', (t) => {
  for (const width of [2, 500]) {
    const members = Array.from({ length: width }, (_, i) => `"k${i}":${i}`).join(',');
    const doc = JSON.parse(`{"__proto__":{"x":1},${members}}`) as Record<string, unknown>;
    let state = apply(doc, [{ op: 'replace', path: '/k1', value: 'one' }]) as Record<
      string,
      unknown
    >;
    // A copy of a copy: the second patch copies what the first one built.
    state = applyJsonPatch(state, [{ op: 'replace', path: '/k0', value: 'zero' }]).state as Record<
      string,
      unknown
    >;
    t.is(Object.getPrototypeOf(state), Object.prototype);
    t.deepEqual(Object.keys(state).slice(0, 3), ['__proto__', 'k0', 'k1']);
    t.is(Object.keys(state).length, width + 1);
    t.deepEqual(state['__proto__'], { x: 1 });
    t.is(state['k1'], 'one');
    t.is(state['k0'], 'zero');
  }
});

test('objects of every width are copied member for member, in order, version after version', (t) => {
  for (const width of [1, 16, 128, 129, 2000]) {
    const doc: Record<string, unknown> = {};
    for (let i = 0; i < width; i++) doc[`m${i}`] = { i };
    let state = deepFreeze(doc) as Record<string, unknown>;
    const before = state;
    for (let round = 0; round < 3; round++) {
      state = applyJsonPatch(state, [
        { op: 'replace', path: `/m${width - 1}`, value: round },
        { op: 'add', path: `/extra${round}`, value: round },
      ]).state as Record<string, unknown>;
    }
    t.true(Object.isFrozen(state));
    t.deepEqual(
      Object.keys(state),
      [...Object.keys(doc), 'extra0', 'extra1', 'extra2'],
      `width ${width}`,
    );
    t.is(state[`m${width - 1}`], 2);
    if (width > 1) t.is(state['m0'], before['m0'], 'an unchanged member is the same object');
  }
});

test('"~0" and "~1" in a path are "~" and "/" in the key', (t) => {
  t.deepEqual(apply({}, [{ op: 'add', path: '/a~1b~0c', value: 1 }]), { 'a/b~c': 1 });
});

test('"-" is refused where an element must exist (remove, replace, test, from)', (t) => {
  for (const op of [
    { op: 'remove', path: '/a/-' },
    { op: 'replace', path: '/a/-', value: 1 },
    { op: 'test', path: '/a/-', value: 1 },
    { op: 'move', from: '/a/-', path: '/b' },
    { op: 'copy', from: '/a/-', path: '/b' },
    { op: 'add', path: '/a/-/x', value: 1 },
  ]) {
    t.regex(fails(t, { a: [{}] }, [op]).message, /"-" is past the end of the array/, op.op);
  }
});

test('add under a primitive is E_PATCH naming it', (t) => {
  t.regex(
    fails(t, { a: 1 }, [{ op: 'add', path: '/a/b', value: 1 }]).message,
    /"\/a\/b" names nothing: "\/a" is 1, not an array or object/,
  );
});

test('a value outside the dialect is E_ENCODE naming the op and the value path', (t) => {
  const error = fails(t, {}, [{ op: 'add', path: '/a', value: { when: new Date(0) } }], 'E_ENCODE');
  t.regex(error.message, /^JSON Patch op 0 .*: "value": value\.when is a Date/);
  fails(t, {}, [{ op: 'replace', path: '', value: Number.NaN }], 'E_ENCODE');
  fails(t, { a: 1 }, [{ op: 'add', path: '/a', value: undefined }], 'E_ENCODE');
  fails(t, { a: 1 }, [{ op: 'test', path: '/a', value: 10n }], 'E_ENCODE');
});

test('a value that would nest deeper than MAX_DEPTH from the root is E_ENCODE', (t) => {
  let deep: unknown = 0;
  for (let level = 0; level < 63; level += 1) deep = [deep];
  t.notThrows(() => apply({}, [{ op: 'add', path: '/a', value: deep }])); // 1 + 63 levels
  const error = fails(t, { a: {} }, [{ op: 'add', path: '/a/b', value: deep }], 'E_ENCODE');
  t.regex(error.message, /nest deeper than 64 levels at "\/a\/b"/);
});

test('a copy or move to a deeper place that would nest too deep is E_ENCODE', (t) => {
  let deep: unknown = 0;
  for (let level = 0; level < 63; level += 1) deep = [deep];
  const doc = { a: deep, b: {} };
  fails(t, doc, [{ op: 'copy', from: '/a', path: '/b/c' }], 'E_ENCODE');
  fails(t, doc, [{ op: 'move', from: '/a', path: '/b/c' }], 'E_ENCODE');
  t.notThrows(() => apply(doc, [{ op: 'copy', from: '/a', path: '/c' }]));
});

test("an added value is a frozen copy: the caller's object is neither kept nor frozen", (t) => {
  const value = { x: [1, -0] };
  const state = apply({}, [{ op: 'add', path: '/v', value }]) as { v: { x: number[] } };
  t.not(state.v, value);
  t.false(Object.isFrozen(value));
  t.true(Object.isFrozen(state.v) && Object.isFrozen(state.v.x));
  t.true(Object.is(state.v.x[1], 0)); // as another process decodes it
});

// remove

test('remove of the whole state is E_PATCH', (t) => {
  t.regex(
    fails(t, { a: 1 }, [{ op: 'remove', path: '' }]).message,
    /cannot remove the whole state/,
  );
});

test('remove of a missing member or element is E_PATCH', (t) => {
  t.regex(fails(t, { a: 1 }, [{ op: 'remove', path: '/b' }]).message, /has no member "b"/);
  t.regex(fails(t, [1], [{ op: 'remove', path: '/1' }]).message, /index 1 is out of range/);
});

test('remove of an array element shifts the later ones', (t) => {
  t.deepEqual(apply([1, 2, 3], [{ op: 'remove', path: '/0' }]), [2, 3]);
});

// replace

test('replace at the empty pointer replaces the whole state', (t) => {
  t.is(apply({ a: 1 }, [{ op: 'replace', path: '', value: 'x' }]), 'x');
});

test('replace of a missing member or element is E_PATCH (unlike add)', (t) => {
  t.regex(fails(t, {}, [{ op: 'replace', path: '/a', value: 1 }]).message, /has no member "a"/);
  t.regex(fails(t, [], [{ op: 'replace', path: '/0', value: 1 }]).message, /out of range/);
});

test('replace of an array element does not insert', (t) => {
  t.deepEqual(apply([1, 2], [{ op: 'replace', path: '/0', value: 9 }]), [9, 2]);
});

// move

test('move into its own child is E_PATCH', (t) => {
  const error = fails(t, { a: { b: {} } }, [{ op: 'move', from: '/a', path: '/a/b/c' }]);
  t.regex(error.message, /cannot move "\/a" into its own child "\/a\/b\/c"/);
  fails(t, { a: 1 }, [{ op: 'move', from: '', path: '/b' }]);
});

test('move onto itself changes nothing, but the value must exist', (t) => {
  const doc = deepFreeze({ a: { b: 1 } });
  t.is(applyJsonPatch(doc, [{ op: 'move', from: '/a', path: '/a' }]).state, doc);
  fails(t, doc, [{ op: 'move', from: '/x', path: '/x' }]);
});

test('move to a sibling whose name starts like the source is not "into its own child"', (t) => {
  t.deepEqual(apply({ a: 1 }, [{ op: 'move', from: '/a', path: '/ab' }]), { ab: 1 });
});

test('move keeps the moved subtree (===)', (t) => {
  const doc = deepFreeze({ a: { big: [1, 2] }, b: {} });
  const next = applyJsonPatch(doc, [{ op: 'move', from: '/a', path: '/b/a' }]).state;
  t.is((next as unknown as { b: { a: unknown } }).b.a, doc.a);
});

test('move of a missing value is E_PATCH', (t) => {
  t.regex(fails(t, {}, [{ op: 'move', from: '/a', path: '/b' }]).message, /has no member "a"/);
});

test('move within an array removes first, then inserts', (t) => {
  t.deepEqual(apply([0, 1, 2, 3], [{ op: 'move', from: '/3', path: '/0' }]), [3, 0, 1, 2]);
  t.deepEqual(apply([0, 1, 2], [{ op: 'move', from: '/0', path: '/-' }]), [1, 2, 0]);
});

// copy

test('move to an index valid only before the removal is E_PATCH (remove, then add)', (t) => {
  t.regex(
    fails(t, [0, 1, 2], [{ op: 'move', from: '/0', path: '/3' }]).message,
    /"\/3": index 3 is out of range \(the array has 2 elements\)/,
  );
});

test('copy shares the copied subtree', (t) => {
  const doc = deepFreeze({ a: { x: [1] } });
  const next = applyJsonPatch(doc, [{ op: 'copy', from: '/a', path: '/b' }]).state as unknown as {
    a: unknown;
    b: unknown;
  };
  t.is(next.b, doc.a);
  t.is(next.a, doc.a);
});

test('a copy of a subtree changed earlier in the patch is not changed by later ops', (t) => {
  const next = apply({ a: { x: 1 } }, [
    { op: 'replace', path: '/a/x', value: 2 },
    { op: 'copy', from: '/a', path: '/b' },
    { op: 'replace', path: '/a/x', value: 3 },
  ]);
  t.deepEqual(next, { a: { x: 3 }, b: { x: 2 } });
});

test('copy to the root and into its own child work', (t) => {
  t.deepEqual(apply({ a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '' }]), { b: 1 });
  t.deepEqual(apply({ a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '/a/c' }]), {
    a: { b: 1, c: { b: 1 } },
  });
});

test('copy of a missing value is E_PATCH', (t) => {
  t.regex(fails(t, [], [{ op: 'copy', from: '/0', path: '/-' }]).message, /out of range/);
});

// test

test('test compares numbers by value: 1 equals 1.0', (t) => {
  t.notThrows(() => apply({ a: 1 }, JSON.parse('[{"op":"test","path":"/a","value":1.0}]')));
});

test('test: true is not 1, null is not 0, "1" is not 1', (t) => {
  fails(t, { a: true }, [{ op: 'test', path: '/a', value: 1 }]);
  fails(t, { a: null }, [{ op: 'test', path: '/a', value: 0 }]);
  fails(t, { a: '1' }, [{ op: 'test', path: '/a', value: 1 }]);
});

test('test on objects ignores key order and needs the same keys', (t) => {
  const doc = { o: { a: 1, b: [1, { c: 2 }] } };
  t.notThrows(() => apply(doc, [{ op: 'test', path: '/o', value: { b: [1, { c: 2 }], a: 1 } }]));
  fails(t, doc, [{ op: 'test', path: '/o', value: { a: 1 } }]);
  fails(t, doc, [{ op: 'test', path: '/o', value: { a: 1, b: [1, { c: 2 }], d: 0 } }]);
});

test('test on arrays compares length and order', (t) => {
  const doc = { l: [1, [2, 3]] };
  t.notThrows(() => apply(doc, [{ op: 'test', path: '/l', value: [1, [2, 3]] }]));
  fails(t, doc, [{ op: 'test', path: '/l', value: [[2, 3], 1] }]);
  fails(t, doc, [{ op: 'test', path: '/l', value: [1] }]);
  fails(t, doc, [{ op: 'test', path: '/l', value: { 0: 1, 1: [2, 3] } }]);
});

test('test of the whole state and of a missing value', (t) => {
  t.notThrows(() => apply({ a: 1 }, [{ op: 'test', path: '', value: { a: 1 } }]));
  t.regex(fails(t, {}, [{ op: 'test', path: '/a', value: null }]).message, /has no member "a"/);
});

// malformed operations

test('malformed operations are E_PATCH naming the op index and the reason', (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /an operation is an object/],
    [['add'], /an operation is an object/],
    [{ path: '/a' }, /"op" must be one of .*; got undefined/],
    [{ op: 'merge', path: '/a' }, /got "merge"/],
    [{ op: 'add', value: 1 }, /an "add" needs a string "path", got undefined/],
    [{ op: 'add', path: 3, value: 1 }, /needs a string "path", got 3/],
    [{ op: 'add', path: '/a' }, /an "add" needs a "value"/],
    [{ op: 'replace', path: '/a' }, /needs a "value"/],
    [{ op: 'test', path: '/a' }, /a "test" needs a "value"/],
    [{ op: 'move', path: '/a' }, /a "move" needs a string "from"/],
    [{ op: 'copy', path: '/a', from: 'a' }, /"from": JSON pointer "a" is not empty/],
    [{ op: 'add', path: 'a', value: 1 }, /"path": JSON pointer "a" is not empty/],
    [{ op: 'remove', path: '/a~2' }, /"path": JSON pointer "\/a~2" has a "~" not followed/],
  ];
  for (const [op, reason] of cases) {
    const error = fails(t, { a: 1 }, [{ op: 'test', path: '/a', value: 1 }, op]);
    t.regex(error.message, /^JSON Patch op 1 /);
    t.regex(error.message, reason);
  }
});

test('a patch that is not an array is E_PATCH', (t) => {
  t.regex(fails(t, {}, { op: 'add' }).message, /a JSON Patch is an array of operations/);
});

test('the op in a message is cut short when its value is large', (t) => {
  const error = fails(t, {}, [{ op: 'add', path: '/a/b', value: 'x'.repeat(10_000) }]);
  t.true(error.message.length < 400);
});

// atomicity

test('a failing op leaves the old state as it was and returns nothing', (t) => {
  const doc = deepFreeze({ a: { b: [1, 2] }, c: 1 });
  const before = JSON.stringify(doc);
  t.throws(() =>
    applyJsonPatch(doc, [
      { op: 'add', path: '/a/b/-', value: 3 },
      { op: 'remove', path: '/c' },
      { op: 'test', path: '/c', value: 1 },
    ]),
  );
  t.is(JSON.stringify(doc), before);
});

test('an empty patch returns the same state', (t) => {
  const doc = deepFreeze({ a: 1 });
  t.deepEqual(applyJsonPatch(doc, []), { state: doc, sizeChange: 0 });
});

test('a state whose root is not frozen is frozen first and never written', (t) => {
  const doc = { a: { b: 1 } };
  const next = applyJsonPatch(doc, [{ op: 'replace', path: '/a/b', value: 2 }]).state;
  t.deepEqual(doc, { a: { b: 1 } });
  t.true(Object.isFrozen(doc));
  t.deepEqual(next, { a: { b: 2 } });
});

// structural sharing

test('a change to /a/b copies only the root and /a; every other subtree is the same', (t) => {
  const doc = deepFreeze({
    a: { b: 1, sibling: { deep: [1, 2] }, list: [{ x: 1 }] },
    c: { d: { e: 'f' } },
    g: [[1], [2]],
  });
  const next = applyJsonPatch(doc, [{ op: 'replace', path: '/a/b', value: 2 }]).state;
  t.not(next, doc);
  t.not(next.a, doc.a);
  t.is(next.a.b, 2);
  t.is(next.a.sibling, doc.a.sibling);
  t.is(next.a.list, doc.a.list);
  t.is(next.c, doc.c);
  t.is(next.g, doc.g);
});

test('the result and everything in it is frozen', (t) => {
  const doc = deepFreeze({ a: { b: [1] }, c: {} });
  const next = applyJsonPatch(doc, [
    { op: 'add', path: '/a/b/-', value: { n: [1] } },
    { op: 'add', path: '/c/d', value: {} },
    { op: 'copy', from: '/a', path: '/e' },
  ]).state;
  const pending: unknown[] = [next];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (typeof node !== 'object' || node === null) continue;
    t.true(Object.isFrozen(node), JSON.stringify(node));
    pending.push(...Object.values(node));
  }
});

test('several ops on one array copy it once and leave the old one intact', (t) => {
  const doc = deepFreeze({ l: [1, 2, 3], other: { x: 1 } });
  const next = applyJsonPatch(doc, [
    { op: 'add', path: '/l/-', value: 4 },
    { op: 'remove', path: '/l/0' },
    { op: 'replace', path: '/l/0', value: 20 },
  ]).state;
  t.deepEqual(next, { l: [20, 3, 4], other: { x: 1 } });
  t.deepEqual(doc.l, [1, 2, 3]);
  t.is(next.other, doc.other);
});

// size change

test('sizeChange counts values, keys, ":" and "," in UTF-8 bytes', (t) => {
  const cases: Array<[unknown, JsonPatchOperation[]]> = [
    [{}, [{ op: 'add', path: '/k', value: 1 }]],
    [{ a: 1 }, [{ op: 'add', path: '/ü', value: 'é😀' }]],
    [{ a: 1 }, [{ op: 'remove', path: '/a' }]],
    [{ a: 1, b: 2 }, [{ op: 'remove', path: '/a' }]],
    [[], [{ op: 'add', path: '/0', value: [1, 2] }]],
    [[1], [{ op: 'add', path: '/0', value: 'x' }]],
    [[1, 2], [{ op: 'remove', path: '/1' }]],
    [[1], [{ op: 'remove', path: '/0' }]],
    [{ a: 'x' }, [{ op: 'replace', path: '/a', value: { y: 'zz' } }]],
    [{ a: 'x' }, [{ op: 'add', path: '/a', value: 'longer' }]],
    [{ a: 1 }, [{ op: 'replace', path: '', value: [1, 2, 3] }]],
    [{ a: { b: 1 }, c: [] }, [{ op: 'move', from: '/a', path: '/c/0' }]],
    [{ a: { b: 1 }, c: [] }, [{ op: 'copy', from: '/a', path: '/c/-' }]],
    [{ 'q"': 1 }, [{ op: 'add', path: '/\n', value: '\u0001' }]],
    [{ a: -0 }, [{ op: 'add', path: '/b', value: -0 }]],
    [{ a: 1 }, [{ op: 'test', path: '/a', value: 1 }]],
  ];
  for (const [doc, ops] of cases) {
    const frozen = deepFreeze(doc);
    const { state, sizeChange } = applyJsonPatch(frozen, ops);
    t.is(sizeChange, bytes(state) - bytes(frozen), JSON.stringify(ops));
  }
});
