/**
 * The state's wire format: UTF-8 JSON text in the shmstate dialect (docs/node.md, "The
 * value model"), the same bytes Python reads and writes.
 *
 * `encodeState` refuses anything another process could not read back as written
 * (E_ENCODE, naming the path) and anything larger than the segment (E_CAPACITY, naming
 * both sizes), before a byte reaches shared memory. `decodeState` treats the bytes as
 * untrusted: invalid UTF-8 or JSON is E_CORRUPT, never a crash or a half-read value.
 *
 * @example
 * const bytes = encodeState({ pose: { x: 1 } }, 1024); // Buffer of '{"pose":{"x":1}}'
 * decodeState(bytes);                                   // { pose: { x: 1 } }
 * encodeState({ at: 10n }, 1024);                       // throws E_ENCODE: state.at is a BigInt
 */
import { shmStateError } from './errors';
import { findDialectViolation } from './find-dialect-violation';

/** Encodes a state for a segment of `capacity` bytes (omit it to skip the size check). */
export function encodeState(state: unknown, capacity?: number): Buffer {
  const bytes = Buffer.from(encodeStateText(state), 'utf8');
  if (capacity !== undefined && bytes.length > capacity) {
    throw shmStateError('E_CAPACITY', `state is ${bytes.length} bytes; capacity is ${capacity}`);
  }
  return bytes;
}

/**
 * The JSON text of a state, E_ENCODE if it is outside the dialect: what `encodeState`
 * encodes to UTF-8, and what the store hands to `Segment.commitText`, which encodes it
 * natively and checks the size (no Buffer in between).
 */
export function encodeStateText(state: unknown): string {
  const problem = findDialectViolation(state);
  if (problem !== undefined) throw shmStateError('E_ENCODE', problem);
  // After the dialect check JSON.stringify cannot return undefined or drop anything:
  // every value left is one it writes verbatim (only -0 becomes 0, as documented).
  // JSON.stringify escapes lone surrogates, so the text always has a UTF-8 form.
  return JSON.stringify(state);
}

// `fatal` makes malformed UTF-8 an error instead of U+FFFD replacement characters, which
// would hand the reader a state nobody wrote. One decoder serves every call: decode()
// without { stream: true } keeps no state between calls.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes a committed payload; E_CORRUPT if it is not UTF-8 JSON. */
export function decodeState(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw shmStateError('E_CORRUPT', `the state (${bytes.length} bytes) is not valid UTF-8`);
  }
  return parseStateText(text);
}

/**
 * Parses committed text that is already known to be valid UTF-8 (Segment.readText checks
 * it natively); E_CORRUPT if it is not JSON.
 */
export function parseStateText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? `: ${err.message}` : '';
    throw shmStateError(
      'E_CORRUPT',
      `the state (${text.length} UTF-16 units) is not valid JSON${reason}`,
    );
  }
}
