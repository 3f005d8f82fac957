/**
 * The results JSON: one object, `machine` plus one section per script. Scripts run one
 * after another, so read-merge-write is enough (bench/lib/results.py does the same).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describeMachine } from './machine.mjs';
import { quick, resultsPath } from './mode.mjs';

export function readResults(file = resultsPath) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

/** Stores `figures` under `section`, filling in the machine description if missing. */
export function recordSection(section, figures, file = resultsPath) {
  const results = readResults(file);
  results.mode ??= quick ? 'quick' : 'full';
  results.machine ??= describeMachine();
  results.sections ??= {};
  results.sections[section] = { recordedAt: new Date().toISOString(), ...figures };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
}
