/**
 * Checks a value against the shmstate JSON dialect (docs/node.md, "The value model") and
 * describes the first thing outside it, naming its path: `state.a[3].b is a BigInt`.
 *
 * JSON.stringify alone is not enough: it silently drops `undefined`, functions and
 * symbols in objects, turns them into `null` in arrays, writes NaN/Infinity as `null`,
 * turns a Date into a string and a Map or Set into `{}`. Each of those would make another
 * process read a different state than the one written, so they are refused instead.
 *
 * Rules: null, booleans, finite numbers, strings, arrays without holes and plain objects
 * (prototype Object.prototype or null) with string keys, nested at most MAX_DEPTH levels
 * (the top-level array or object is level 1). Shared subtrees are fine; cycles are not.
 *
 * @example
 * findDialectViolation({ a: [0, 1, 2, { b: 10n }] }); // 'state.a[3].b is a BigInt'
 * findDialectViolation({ a: 1 });                     // undefined
 */
export function findDialectViolation(value: unknown): string | undefined {
  const path: Array<string | number> = [];
  const ancestors: object[] = [];
  return check(value, path, ancestors);
}

/** Nesting cap, the same number in every language of shmstate. */
export const MAX_DEPTH = 64;

function check(
  value: unknown,
  path: Array<string | number>,
  ancestors: object[],
): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${pathText(path)} is ${String(value)}`;
    case 'undefined':
      return `${pathText(path)} is undefined`;
    case 'function':
      return `${pathText(path)} is a function`;
    case 'symbol':
      return `${pathText(path)} is a symbol`;
    case 'bigint':
      return `${pathText(path)} is a BigInt`;
    case 'object':
      return value === null ? undefined : checkContainer(value, path, ancestors);
    default:
      return `${pathText(path)} is a ${typeof value}`;
  }
}

function checkContainer(
  value: object,
  path: Array<string | number>,
  ancestors: object[],
): string | undefined {
  const cycleStart = ancestors.indexOf(value);
  if (cycleStart !== -1) {
    return `${pathText(path)} is a cycle (it refers back to ${pathText(path.slice(0, cycleStart))})`;
  }
  if (ancestors.length >= MAX_DEPTH)
    return `${pathText(path)} nests deeper than ${MAX_DEPTH} levels`;
  const notPlain = describeNonPlain(value);
  if (notPlain !== undefined) return `${pathText(path)} is ${notPlain}`;
  if (Object.getOwnPropertySymbols(value).length > 0) return `${pathText(path)} has a symbol key`;

  ancestors.push(value);
  let problem: string | undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length && problem === undefined; index += 1) {
      path.push(index);
      problem =
        index in value
          ? check(value[index], path, ancestors)
          : `${pathText(path)} is a hole in a sparse array`;
      path.pop();
    }
  } else {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      path.push(key);
      problem = check(record[key], path, ancestors);
      path.pop();
      if (problem !== undefined) break;
    }
  }
  ancestors.pop();
  return problem;
}

/** Why an object is not an array or a plain object, or undefined if it is one. */
function describeNonPlain(value: object): string | undefined {
  if (Array.isArray(value)) return undefined;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return undefined;
  if (value instanceof Date) {
    return 'a Date: JSON would silently turn it into a string; store date.toISOString() or date.getTime()';
  }
  const constructor = (value as { constructor?: unknown }).constructor;
  const name = typeof constructor === 'function' ? constructor.name : '';
  if (name === '')
    return 'an object with a custom prototype (only plain objects and arrays are allowed)';
  // Built-ins (Map, Set, Uint8Array, Buffer, RegExp, ...) are named as such; anything else
  // is a class instance, which JSON would flatten into a plain object and lose its class.
  const builtIn = (globalThis as Record<string, unknown>)[name] === constructor;
  return builtIn ? `a ${name}` : `a ${name} instance (only plain objects and arrays are allowed)`;
}

/** `state.a[3].b`, with keys that are not identifiers quoted: `state["my key"]`. */
function pathText(path: ReadonlyArray<string | number>): string {
  let text = 'state';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) text += `.${part}`;
    else text += `[${JSON.stringify(part)}]`;
  }
  return text;
}
