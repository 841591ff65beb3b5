// Our strict parsers against two well-kept libraries, on every fixture that
// both accept: lossless-json for JSON, @msgpack/msgpack for MessagePack. Where
// the libraries fall short (see README) we do not use them to read documents;
// here they catch a parser bug of ours on ordinary input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as losslessParse, isLosslessNumber } from 'lossless-json';
import { decode } from '@msgpack/msgpack';
import { parseDocument } from '../src/container.mjs';
import { JObj, JInt, JNum, Bin } from '../src/values.mjs';
import { validate } from '../src/index.mjs';
import { dataFindings } from '../src/data.mjs';
import { FIXTURES, loadManifest } from './fixtures.mjs';
import { treeToMsgpack } from './helpers.mjs';

const cases = loadManifest().cases;

// Compares our tree with a library's value; returns a path that differs, or null.
function differs(ours, theirs, path = '') {
  if (ours instanceof JObj) {
    if (theirs === null || typeof theirs !== 'object') return path;
    const entries = theirs instanceof Map ? [...theirs] : Object.entries(theirs);
    if (entries.length !== ours.m.size) return path;
    for (const [k, v] of entries) {
      if (!ours.m.has(k)) return `${path}/${k}`;
      const d = differs(ours.m.get(k), v, `${path}/${k}`);
      if (d !== null) return d;
    }
    return null;
  }
  if (Array.isArray(ours)) {
    if (!Array.isArray(theirs) || theirs.length !== ours.length) return path;
    for (let k = 0; k < ours.length; k++) {
      const d = differs(ours[k], theirs[k], `${path}/${k}`);
      if (d !== null) return d;
    }
    return null;
  }
  if (ours instanceof JInt) {
    if (isLosslessNumber(theirs)) return theirs.value === ours.text ? null : path;
    return BigInt(theirs) === ours.v ? null : path;
  }
  if (ours instanceof JNum) {
    if (isLosslessNumber(theirs)) return theirs.value === ours.text ? null : path;
    return Object.is(theirs, ours.v) ? null : path;
  }
  if (ours instanceof Bin) return theirs instanceof Uint8Array && Buffer.compare(theirs, ours.bytes) === 0 ? null : path;
  return Object.is(ours, theirs) ? null : path;
}

test('JSON fixtures: our tree equals lossless-json\'s, token text included', () => {
  let compared = 0;
  for (const c of cases.filter((c) => c.file.endsWith('.json'))) {
    const bytes = readFileSync(join(FIXTURES, c.file));
    let ours;
    try { ours = parseDocument(bytes); } catch { continue; } // syntax-invalid: see json.test.mjs
    if (ours.findings.length) continue;
    ours = ours.tree;
    const theirs = losslessParse(bytes.toString('utf8'));
    assert.equal(differs(ours, theirs), null, c.id);
    compared++;
  }
  assert.ok(compared > 100);
});

test('MessagePack fixtures: our tree equals @msgpack/msgpack\'s', () => {
  let compared = 0;
  for (const c of cases.filter((c) => c.file.endsWith('.msgpack'))) {
    const bytes = readFileSync(join(FIXTURES, c.file));
    let ours;
    try { ours = parseDocument(bytes); } catch { continue; }
    if (ours.findings.length) continue;
    ours = ours.tree;
    const theirs = decode(bytes, { useBigInt64: true, useMap: true });
    assert.equal(differs(ours, theirs), null, c.id);
    compared++;
  }
  assert.ok(compared > 20);
});

test('JSON fixtures converted to MessagePack by @msgpack/msgpack give the same report (2.3)', () => {
  let compared = 0;
  for (const c of cases.filter((c) => c.valid && c.file.endsWith('.json'))) {
    const bytes = readFileSync(join(FIXTURES, c.file));
    const json = validate(bytes);
    const { container, tree } = parseDocument(bytes);
    const { decoded } = dataFindings(tree, container);
    const converted = validate(treeToMsgpack(tree, (k) => decoded[k].bytes));
    assert.deepEqual(converted.errors, [], c.id);
    assert.equal(converted.container, 'msgpack');
    assert.equal(converted.report, json.report, c.id);
    compared++;
  }
  assert.ok(compared > 40);
});
