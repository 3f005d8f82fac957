import { constants } from 'node:os';
import test from 'ava';
import * as publicEntry from '../src/index';
import { ERROR_CODES, LIMITS, Segment, ShmStateError } from '../src/index';
import { loadAddon } from '../src/internal';
import { segmentFor } from '../../../test/helpers';

test('the TypeScript code list equals the table compiled into the addon', (t) => {
  t.deepEqual(
    [...ERROR_CODES],
    loadAddon().errorCodes.map((row) => row.code),
  );
});

test('every code in the addon table has a number and a meaning', (t) => {
  for (const row of loadAddon().errorCodes) {
    t.true(Number.isInteger(row.number) && row.number > 0, row.code);
    t.true(row.meaning.length > 0, row.code);
  }
});

test("the TypeScript limits equal the core's", (t) => {
  t.deepEqual({ ...LIMITS }, loadAddon().limits);
});

test('native failures are ShmStateError instances with name, code, errno and stack', (t) => {
  const name = segmentFor(t, 'errors-native');
  const error = t.throws(() => Segment.open(name));
  t.true(error instanceof ShmStateError);
  t.true(error instanceof Error);
  if (!(error instanceof ShmStateError)) return;
  t.is(error.name, 'ShmStateError');
  t.is(error.code, 'E_NOENT');
  t.is(error.errno, constants.errno.ENOENT);
  t.true(error.message.includes(name), error.message);
  t.regex(error.message, /\(E_NOENT\)$/);
  t.regex(error.stack ?? '', /40\.errors\.test/);
});

test('failures without an operating-system cause carry no errno', (t) => {
  const name = segmentFor(t, 'errors-no-errno');
  const segment = Segment.create(name, { capacity: 64, initial: Buffer.from('{}') });
  t.teardown(() => segment.close());
  const error = t.throws(() => segment.commit(Buffer.from('{}'), { expectedVersion: 7 }), {
    instanceOf: ShmStateError,
  });
  t.is(error?.code, 'E_CONFLICT');
  t.is(error?.errno, undefined);
});

test('ShmStateError built in TypeScript appends the code once', (t) => {
  t.is(new ShmStateError('x', 'E_BUSY').message, 'x (E_BUSY)');
  t.is(new ShmStateError('x (E_BUSY)', 'E_BUSY').message, 'x (E_BUSY)');
});

test('the native constructor refuses to be called from JavaScript', (t) => {
  const { NativeSegment } = loadAddon();
  const Constructor = NativeSegment as unknown as new () => unknown;
  t.throws(() => new Constructor(), { instanceOf: ShmStateError, code: 'E_INVALID' });
});

test('the glue refuses wrong argument types with E_INVALID too', (t) => {
  const { NativeSegment } = loadAddon();
  const create = NativeSegment.create as unknown as (...args: unknown[]) => unknown;
  t.throws(() => create(42), {
    instanceOf: ShmStateError,
    code: 'E_INVALID',
    message: 'Argument "name" must be a string, got 42 (E_INVALID)',
  });
  t.throws(() => create('x', -1, 0o600, Buffer.from('{}'), 1), {
    instanceOf: ShmStateError,
    code: 'E_INVALID',
    message: 'Argument "capacity" must be a non-negative integer, got -1 (E_INVALID)',
  });
});

test('the public entry exports the API, not the internals', (t) => {
  t.deepEqual(Object.keys(publicEntry).sort(), [
    'ERROR_CODES',
    'LIMITS',
    'Segment',
    'ShmStateError',
  ]);
});
