/**
 * JSON Pointers (RFC 6901), the paths of JSON Patch: `parseJsonPointer` splits one into
 * its reference tokens, `formatJsonPointer` writes tokens back as a pointer.
 *
 * The empty pointer `""` is the whole document (no tokens); any other pointer starts
 * with `/` and each `/` starts a token, so `"/"` is one empty token (the key `""`).
 * Inside a token `~1` stands for `/` and `~0` for `~` (unescaped in that order, so
 * `~01` is the key `~1`); a `~` followed by anything else is an error. Tokens are
 * strings here: whether one is an array index, the `-` end marker or an object key
 * depends on the value it is applied to, which `applyJsonPatch` decides (RFC 6902 allows
 * `-` only as the last token of the target of an `add`, `move` or `copy`).
 *
 * Errors are ShmStateErrors with code E_PATCH, naming the pointer.
 *
 * @example
 * parseJsonPointer('/a~1b/0/m~0n'); // ['a/b', '0', 'm~n']
 * parseJsonPointer('');             // [] (the root)
 * formatJsonPointer(['a/b', 0]);    // '/a~1b/0'
 * parseJsonPointer('a');            // throws E_PATCH: JSON pointer "a" is not empty and does not start with "/"
 */
import { shmStateError } from './errors';

/** The reference tokens of an RFC 6901 pointer; E_PATCH if it is malformed. */
export function parseJsonPointer(pointer: string): string[] {
  if (typeof pointer !== 'string') {
    throw shmStateError('E_PATCH', `JSON pointer ${describe(pointer)} is not a string`);
  }
  if (pointer === '') return [];
  if (pointer[0] !== '/') {
    throw shmStateError(
      'E_PATCH',
      `JSON pointer ${JSON.stringify(pointer)} is not empty and does not start with "/"`,
    );
  }
  const tokens = pointer.slice(1).split('/');
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as string;
    if (!token.includes('~')) continue;
    if (/~(?![01])/.test(token)) {
      throw shmStateError(
        'E_PATCH',
        `JSON pointer ${JSON.stringify(pointer)} has a "~" not followed by "0" or "1"`,
      );
    }
    tokens[i] = token.replace(/~1/g, '/').replace(/~0/g, '~');
  }
  return tokens;
}

/** The RFC 6901 pointer of a path of keys and indices (`[]` is the root, `""`). */
export function formatJsonPointer(tokens: ReadonlyArray<string | number>): string {
  let pointer = '';
  for (const token of tokens) {
    pointer += '/' + String(token).replace(/~/g, '~0').replace(/\//g, '~1');
  }
  return pointer;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
