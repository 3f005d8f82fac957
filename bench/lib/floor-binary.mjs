/** Builds bench/floor/futex-pingpong.c into bench/build/ when the binary is missing or older. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { benchDir } from './mode.mjs';

export function floorBinary() {
  const source = path.join(benchDir, 'floor', 'futex-pingpong.c');
  const binary = path.join(benchDir, 'build', 'futex-pingpong');
  const stale = !fs.existsSync(binary) || fs.statSync(binary).mtimeMs < fs.statSync(source).mtimeMs;
  if (stale) {
    fs.mkdirSync(path.dirname(binary), { recursive: true });
    const cc = process.env.CC ?? 'cc';
    execFileSync(cc, ['-O2', '-std=c11', '-Wall', '-Wextra', '-o', binary, source, '-lm'], {
      stdio: 'inherit',
    });
  }
  return binary;
}
