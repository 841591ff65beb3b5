// open / getTensor (spec.md 7.1): the structure at open, each tensor's data on request.
// Together they must report what validate reports, less DATA_DOCUMENT_CHECKSUM, and hand
// out what read hands out. From a path, open reads the file a chunk at a time and leaves
// each tensor's data in it (src/open.mjs); from bytes it runs the whole-document parsers.
// The two must agree on everything, which the fixtures and mutated documents check here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { readFileSync, writeFileSync, mkdtempSync, rmSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import { open, read, validate, ModelDocError } from '../src/index.mjs';
import { openDocument } from '../src/open.mjs';
import { ordinaryRun } from '../src/jsonscan.mjs';
import { FIXTURES, loadManifest } from './fixtures.mjs';
import { writeBigDocument } from './bigdoc.mjs';
import { jsonBytes, smallDoc } from './helpers.mjs';

const key = ({ code, pointer }) => `${code} ${pointer}`;
const errorsOf = (e) => e.findings.filter((f) => f.severity === 'error').map(key);
const cases = loadManifest().cases;
const scratch = mkdtempSync(join(tmpdir(), 'modeldoc-open-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

// The findings that only decoding a tensor's data gives (7.1 item 2); open reports all the others.
const DECODING = new Set(['DATA_LENGTH', 'DATA_BASE64', 'DATA_LIST_SHAPE', 'DATA_LIST_TYPE', 'DATA_VALUE_RANGE', 'DATA_BOOL', 'DATA_CHECKSUM']);

test('open by path plus getTensor of every tensor reports what validate reports, on every fixture', () => {
  for (const c of cases) {
    const path = join(FIXTURES, c.file);
    const bytes = readFileSync(path);
    const verdict = validate(bytes);
    const full = verdict.errors.filter((f) => f.code !== 'DATA_DOCUMENT_CHECKSUM').map(key).sort();
    let doc;
    try {
      doc = open(path);
    } catch (e) {
      assert.ok(e instanceof ModelDocError, c.id);
      // 7.1 item 1: all the findings of the checks made at open, and none of decoding.
      assert.deepEqual(errorsOf(e).sort(), full.filter((f) => !DECODING.has(f.split(' ')[0])), c.id);
      continue;
    }
    assert.deepEqual(doc.warnings, verdict.warnings, c.id);
    const whole = verdict.valid ? read(bytes) : null;
    const got = [];
    doc.keys().forEach((name, k) => {
      try {
        const t = doc.getTensor(name);
        if (whole) assert.deepEqual(t, whole.tensors[k], `${c.id} ${name}`);
      } catch (e) {
        if (!(e instanceof ModelDocError)) throw e;
        got.push(...errorsOf(e));
      }
    });
    doc.close();
    assert.deepEqual(got.sort(), full, c.id);
  }
});

test('open plus verifyDocument reports every finding validate reports, from a path and from bytes, on every fixture', () => {
  let verified = 0;
  for (const c of cases) {
    const path = join(FIXTURES, c.file);
    const bytes = readFileSync(path);
    const full = validate(bytes).errors.map(key).sort();
    for (const source of [path, bytes]) {
      let doc;
      try {
        doc = open(source);
      } catch (e) {
        assert.ok(e instanceof ModelDocError, c.id);
        continue; // the structure's findings: the test above checks them
      }
      let got = [];
      try {
        doc.verifyDocument();
      } catch (e) {
        if (!(e instanceof ModelDocError)) throw e;
        got = errorsOf(e);
      }
      doc.close();
      assert.deepEqual(got.sort(), full, c.id);
      verified += 1;
    }
  }
  assert.ok(verified > 200, `only ${verified} documents opened`);
});

test('verifyDocument finds a document checksum that getTensor of every tensor cannot; it throws after close', () => {
  const tree = JSON.parse(readFileSync(join(FIXTURES, 'valid', 'example-base64.json'), 'utf8'));
  tree.document_sha256 = '0'.repeat(64); // every tensor still matches its own sha256
  const path = join(scratch, 'checksum.json');
  writeFileSync(path, JSON.stringify(tree));
  const doc = open(path);
  for (const name of doc.keys()) doc.getTensor(name);
  assert.throws(() => doc.verifyDocument(), (e) => isDeepStrictEqual(errorsOf(e), ['DATA_DOCUMENT_CHECKSUM /document_sha256']));
  doc.close();
  assert.throws(() => doc.verifyDocument(), /after close/);
});

// Everything open and getTensor give, or throw, as plain data to compare.
function outcome(make) {
  let doc;
  try {
    doc = make();
  } catch (e) {
    if (!(e instanceof ModelDocError)) throw e;
    return { findings: e.findings };
  }
  const { container, warnings } = doc;
  // Where the data lies exists only in a file; the byteRange test checks it.
  const tensors = doc.tensors.map(({ byteRange, ...header }) => header);
  const got = doc.keys().map((name) => {
    try {
      return doc.getTensor(name);
    } catch (e) {
      if (!(e instanceof ModelDocError)) throw e;
      return { findings: e.findings };
    }
  });
  doc.close();
  return { container, warnings, tensors, got };
}

test('from a path, read in chunks of any size, open gives what it gives from bytes, on every fixture', () => {
  // Chunks of 1 and 7 bytes cut every token, escape and UTF-8 sequence somewhere.
  for (const chunkSize of [1, 7]) {
    for (const c of cases) {
      const path = join(FIXTURES, c.file);
      const fromBytes = outcome(() => open(readFileSync(path)));
      assert.ok(isDeepStrictEqual(outcome(() => openDocument(path, {}, { chunkSize })), fromBytes), `${c.id}, chunks of ${chunkSize}`);
    }
  }
});

// Mutations that reach the parsers' corners: structure, escapes, surrogates, numbers at the edge
// of their grammar and range, literals, deep nesting, bytes that are not UTF-8 or are MessagePack
// headers. Most land in or next to a tensor's data, which is what open parses differently.
const TOKENS = [
  '"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', '\t', 'true', 'nul', 'NaN', 'Infinity', '-Infinity', '"NaN"', '"x"',
  '0', '-', '.', 'e', '01', '1.', '1e', '1e+', '-0', '-0.0e0', '1E5', '1.5e-3', '1e999', '18446744073709551615',
  '18446744073709551616', '-9223372036854775809', '123456789012345678901', '\\u', '\\u12', '"\\ud800"',
  '"\\udc00\\ud800"', '\\ud83d\\ude00', '\\ud800', '\\udc00', '\\ud800\\ud800', '\\"', '{"a":1,"a":2}', '[[[[[[[[[[', ']]]]]]', '\u00e9', '\u{1f600}',
  '"data":', '"tensors":',
];
const BYTES = [0x00, 0x1f, 0x22, 0x5c, 0x7f, 0x80, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xff,
  0xc1, 0xc4, 0xc5, 0xc6, 0xca, 0xcb, 0xd4, 0xd9, 0xdc, 0xde, 0x90, 0xa3];

// mulberry32: a seeded generator whose low bits are as random as its high ones.
function generator(seed) {
  return (n) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
  };
}

function mutator(seed) {
  const random = generator(seed);
  const text = (t) => [...Buffer.from(t, 'utf8')];
  const dataPlaces = (b) => {
    const out = [];
    const buf = Buffer.from(b);
    for (let at = buf.indexOf('data'); at >= 0; at = buf.indexOf('data', at + 1)) out.push(at + 4);
    return out;
  };
  return (bytes) => {
    let b = [...bytes];
    for (let m = 1 + (random(3) === 0 ? 1 : 0); m > 0; m--) {
      const places = dataPlaces(b);
      const at = places.length > 0 && random(4) > 0 ? Math.min(b.length - 1, places[random(places.length)] + random(60)) : random(b.length);
      const token = text(TOKENS[random(TOKENS.length)]);
      switch (random(8)) {
        case 0: b[at] = BYTES[random(BYTES.length)]; break;
        case 1: b[at] = 0x20 + random(95); break;
        case 2: b.splice(at, 1 + random(3)); break;
        case 3: b = b.slice(0, at); break;
        case 4: b.splice(at, token.length, ...token); break;
        case 5: { const len = 1 + random(20); b.splice(random(b.length), 0, ...b.slice(at, at + len)); break; }
        default: b.splice(at, 0, ...token);
      }
    }
    return Uint8Array.from(b);
  };
}

test('on mutated documents, open from a path gives what it gives from the bytes', () => {
  const mutate = mutator(20260101);
  const path = join(scratch, 'mutated');
  // Mostly valid documents, so that many mutations still open and reach getTensor.
  const valid = cases.filter((c) => c.valid);
  let opened = 0;
  for (let n = 0; n < 700; n++) {
    const c = n % 4 === 0 ? cases[(n * 7919) % cases.length] : valid[(n * 7919) % valid.length];
    const bytes = mutate(readFileSync(join(FIXTURES, c.file)));
    writeFileSync(path, bytes);
    const chunkSize = [1, 3, 16, 100, 1 << 20][n % 5];
    const fromBytes = outcome(() => open(bytes));
    const fromPath = outcome(() => openDocument(path, {}, { chunkSize }));
    assert.ok(isDeepStrictEqual(fromPath, fromBytes), `mutation ${n} of ${c.id}, chunks of ${chunkSize}`);
    if (fromBytes.got) opened++;
  }
  assert.ok(opened > 50, `only ${opened} mutated documents opened`); // the walk reaches getTensor too
});

test('values at the edges of the grammar, inside tensor data and outside it, read alike from a path and bytes', () => {
  // Inside a list tensor's data the scanner checks values without building them; in the
  // metadata it builds them. Each token goes to both places, in a list and a base64 document.
  const tokens = [
    '0', '-0', '00', '01', '-', '1.', '.5', '1e', '1e+', '1E-2', '-0.0e0', '1.5e308', '1e309', '-1e999', '2.5e-400',
    '999999999999999999', '9999999999999999999', '-999999999999999999', '-9999999999999999999',
    '9223372036854775807', '-9223372036854775808', '-9223372036854775809', '18446744073709551615',
    '18446744073709551616', '99999999999999999999', '100000000000000000000', `1${'0'.repeat(299)}.5`, `1${'0'.repeat(309)}.5`,
    '"NaN"', '"-Infinity"', 'NaN', '-Infinity', 'Infinity', 'true', 'tru', 'null', '"\\ud800"', '"\\ud83d\\ude00"',
    '"\\ud800x"', '"\\udc00"', '"\\u00e9\\n"', '"\\x"', '{"a":1,"a":[NaN]}', '[[[1]]]', '[', '"',
  ];
  const path = join(scratch, 'edges.json');
  for (const token of tokens) {
    const list = smallDoc();
    list.tensors[0].encoding = 'list';
    list.tensors[0].data = 'DATA';
    const base64 = smallDoc();
    for (const [doc, data, where] of [[list, `[[${token}, 1.0, 2.0], [0.0, -0.0, 3.5]]`, 'list data'], [base64, null, 'metadata']]) {
      doc.metadata.purpose = 'META';
      let text = JSON.stringify(doc).replace('"META"', token);
      if (data !== null) text = text.replace('"DATA"', data);
      else text = text.replace(/"data":"([^"]*)"/, `"data":"$1${token.replaceAll('"', '')}"`); // and inside a base64 string
      writeFileSync(path, text);
      const fromBytes = outcome(() => open(readFileSync(path)));
      assert.ok(isDeepStrictEqual(outcome(() => openDocument(path, {}, { chunkSize: 5 })), fromBytes), `${token} in ${where}`);
    }
  }
});

test('ordinaryRun finds what a loop over the bytes finds, at every alignment', () => {
  const random = generator(99);
  const slow = (b, from, to) => { let q = from; while (q < to && b[q] > 0x22 && b[q] !== 0x5c) q++; return q; };
  const backing = new Uint8Array(300);
  for (let n = 0; n < 3000; n++) {
    for (let k = 0; k < backing.length; k++) backing[k] = 0x23 + random(0xdd); // no byte that stops, but 0x5c
    for (let k = random(3); k > 0; k--) backing[random(backing.length)] = [0x00, 0x1f, 0x20, 0x21, 0x22, 0x5c, 0x23, 0x80, 0xff][random(9)];
    const bytes = backing.subarray(random(5));
    const from = random(40);
    const to = from + random(bytes.length - from + 1);
    assert.equal(ordinaryRun(bytes, from, to), slow(bytes, from, to));
  }
});

// node:fs with a count of what is read, and of opened and closed descriptors.
function countingFs() {
  const counts = { read: 0, opened: 0, closed: 0 };
  const wrapped = {
    openSync: (...a) => { counts.opened++; return fs.openSync(...a); },
    closeSync: (fd) => { counts.closed++; return fs.closeSync(fd); },
    fstatSync: (...a) => fs.fstatSync(...a),
    readSync: (...a) => { const k = fs.readSync(...a); counts.read += k; return k; },
  };
  return { fs: wrapped, counts };
}

test('close: safe twice, getTensor after it throws, the file is closed once, also when open throws', () => {
  const path = join(FIXTURES, 'valid/example-msgpack.msgpack');
  const { fs: counted, counts } = countingFs();
  const doc = openDocument(path, {}, { fs: counted });
  const name = doc.keys()[0];
  doc.getTensor(name);
  doc.close();
  doc.close();
  assert.deepEqual([counts.opened, counts.closed], [1, 1]);
  assert.throws(() => doc.getTensor(name), (e) => !(e instanceof ModelDocError) && /closed/.test(e.message));
  assert.deepEqual(doc.keys(), doc.tensors.map((t) => t.name)); // the headers stay
  const fromBytes = open(readFileSync(path));
  fromBytes.close();
  fromBytes.close();
  assert.throws(() => fromBytes.getTensor(name), /closed/);
  assert.throws(() => openDocument(join(FIXTURES, 'invalid/limit-rank.json'), {}, { fs: counted }), ModelDocError);
  assert.deepEqual([counts.opened, counts.closed], [2, 2]);
});

test('a file that changes after open: its checksum or a clear error, never a wrong tensor', () => {
  const path = join(scratch, 'changing.json');
  const text = new TextDecoder().decode(jsonBytes(smallDoc()));
  writeFileSync(path, text);
  const doc = open(path);
  const name = doc.keys()[0];
  const good = doc.getTensor(name);
  // The same length, one base64 letter changed: decoded and checked again, so DATA_CHECKSUM.
  const at = text.indexOf('"data":"') + 9;
  writeFileSync(path, text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1));
  assert.throws(() => doc.getTensor(name), (e) => e instanceof ModelDocError && errorsOf(e).join() === 'DATA_CHECKSUM /tensors/0/sha256');
  // Where the string was, no string: a clear error, not a finding of the document.
  const quote = text.indexOf('"data":"') + 7;
  writeFileSync(path, text.slice(0, quote) + '[' + text.slice(quote + 1));
  assert.throws(() => doc.getTensor(name), (e) => !(e instanceof ModelDocError) && /changed since it was opened/.test(e.message));
  truncateSync(path, at);
  assert.throws(() => doc.getTensor(name), (e) => !(e instanceof ModelDocError) && /changed since it was opened/.test(e.message));
  doc.close();
  assert.equal(good.data.length, 6);
});

test('a document dropped without close() has its file closed by the garbage collector', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  const child = `
    import { readdirSync, readlinkSync } from 'node:fs';
    import { open } from ${JSON.stringify(new URL('../src/index.mjs', import.meta.url).href)};
    const path = process.argv[1];
    // The descriptors open on the document (node opens others of its own on the way).
    const onIt = () => readdirSync('/proc/self/fd').filter((fd) => { try { return readlinkSync('/proc/self/fd/' + fd) === path; } catch { return false; } }).length;
    for (let k = 0; k < 50; k++) open(path).getTensor('dense/kernel');
    const kept = open(path).getTensor; // its file must stay open
    const opened = onIt();
    for (let k = 0; k < 3; k++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
    process.stdout.write(JSON.stringify([opened, onIt(), kept('dense/kernel').data.length]));
  `;
  const [opened, after, length] = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', child,
    join(FIXTURES, 'valid/example-msgpack.msgpack')], { encoding: 'utf8' }));
  assert.deepEqual([opened, after], [51, 1]);
  assert.ok(length > 0);
});

// Run in a fresh process (its memory is its own): opens the file by path, takes the small
// tensor, and prints how much the peak RSS and the ArrayBuffers grew from just before.
const MEMORY_CHILD = `
import { readFileSync, writeFileSync } from 'node:fs';
import { open } from ${JSON.stringify(new URL('../src/index.mjs', import.meta.url).href)};
const [path, small, warmUp] = process.argv.slice(1);
const kB = (field) => Number(/(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8').split('\\n').find((l) => l.startsWith(field)))[1]) * 1024;
open(warmUp).close(); // the schema compiled, the code loaded
globalThis.gc();
// Resets the peak RSS (VmHWM) to the current RSS, so that it is this open's peak.
writeFileSync('/proc/self/clear_refs', '5');
const rss = kB('VmRSS:');
const buffers = process.memoryUsage().arrayBuffers;
const doc = open(path);
const got = doc.getTensor(small);
const out = { peak: kB('VmHWM:') - rss, arrayBuffers: process.memoryUsage().arrayBuffers - buffers, length: got.data.length };
doc.close();
process.stdout.write(JSON.stringify(out));
`;

test('a big document: open holds its structure, not its data, and getTensor reads just its tensor', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  const SIZE = 64 * 2 ** 20;
  for (const container of ['msgpack', 'json']) {
    const path = join(scratch, `big.${container}`);
    const { small, big } = writeBigDocument(path, container, SIZE);
    const fileSize = statSync(path).size;
    const { fs: counted, counts } = countingFs();
    const doc = openDocument(path, {}, { fs: counted });
    const atOpen = counts.read;
    if (container === 'msgpack') {
      // The big bin is skipped by its length: the first chunk read holds 1 MiB of it, no more.
      assert.ok(atOpen < 2 * 2 ** 20, `${container}: ${atOpen} bytes read at open`);
    } else {
      // JSON is read through once (its first 64 KiB twice: recognising the container).
      assert.ok(atOpen >= fileSize && atOpen <= fileSize + 2 ** 16, `${container}: ${atOpen} bytes read at open`);
    }
    assert.equal(doc.getTensor(small).data.length, 6);
    const forSmall = counts.read - atOpen;
    assert.ok(forSmall < 100, `${container}: ${forSmall} bytes read for the small tensor`);
    assert.equal(doc.getTensor(big).bytes.length, SIZE);
    assert.ok(counts.read - atOpen - forSmall >= SIZE, `${container}: the big tensor read back`);
    doc.close();

    const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', MEMORY_CHILD,
      path, small, join(FIXTURES, 'valid/example-base64.json')], { encoding: 'utf8' }));
    assert.equal(out.length, 6);
    assert.ok(out.peak < fileSize / 5, `${container}: peak RSS grew by ${out.peak} bytes opening ${fileSize}`);
    assert.ok(out.arrayBuffers < fileSize / 5, `${container}: ArrayBuffers grew by ${out.arrayBuffers} bytes opening ${fileSize}`);
    rmSync(path);
  }
});

test('a tensor with bad data does not stop the others, and the header needs no data', () => {
  const bytes = readFileSync(join(FIXTURES, 'valid/example-msgpack.msgpack'));
  const doc = open(bytes);
  const names = doc.keys();
  const first = doc.getTensor(names[0]);
  // Flip one bit of the first tensor's data where it sits in the file: only that tensor fails.
  const at = Buffer.from(bytes).indexOf(Buffer.from(first.bytes.subarray(0, 8)));
  assert.ok(at > 0);
  const broken = Uint8Array.from(bytes);
  broken[at] ^= 1;
  assert.ok(validate(broken).errors.some((f) => f.code === 'DATA_CHECKSUM' && f.pointer === '/tensors/0/sha256'));
  const opened = open(broken);
  assert.deepEqual(opened.tensors.map((t) => t.name), names);
  assert.throws(() => opened.getTensor(names[0]),
    (e) => e instanceof ModelDocError && errorsOf(e).join() === 'DATA_CHECKSUM /tensors/0/sha256');
  assert.deepEqual(opened.getTensor(names[1]), doc.getTensor(names[1]));
  assert.throws(() => opened.getTensor('no such tensor'), RangeError);
});

test('declared sizes are checked at open', () => {
  const path = join(FIXTURES, 'valid/example-base64.json');
  assert.throws(() => open(path, { limits: { documentSize: 2n ** 40n, depth: 128, rank: 32, tensorSize: 8n, totalSize: 2n ** 40n } }),
    (e) => e instanceof ModelDocError && errorsOf(e)[0].startsWith('LIMIT_TENSOR_SIZE /tensors/'));
});

test('a partial limits option keeps the defaults of the others at open', () => {
  // Only the depth given: the rank and total limits are still those of section 8.
  for (const [file, code] of [['invalid/limit-rank.json', 'LIMIT_RANK'], ['invalid/limit-total-size.json', 'LIMIT_TOTAL_SIZE']]) {
    const path = join(FIXTURES, file);
    assert.throws(() => open(path, { limits: { depth: 128 } }),
      (e) => e instanceof ModelDocError && errorsOf(e).length > 0 && errorsOf(e).every((f) => f.startsWith(`${code} /tensors/`)));
  }
});

test('byteRange: where each tensor is stored in the file, on every valid fixture; null from bytes', () => {
  let ranged = 0;
  for (const c of cases.filter((x) => x.valid)) {
    const path = join(FIXTURES, c.file);
    const bytes = readFileSync(path);
    const whole = read(bytes);
    const doc = open(path);
    doc.tensors.forEach((info, k) => {
      if (info.byteRange === null) return; // data split into several bins
      const [start, end] = info.byteRange;
      const stored = bytes.subarray(start, end);
      const t = whole.tensors[k];
      const raw = t.quantization ? t.quantization.stored.bytes : t.bytes;
      if (info.encoding === 'raw') assert.deepEqual(new Uint8Array(stored), raw, `${c.id} ${info.name}`);
      else if (info.encoding === 'base64') assert.deepEqual(new Uint8Array(Buffer.from(stored.toString('latin1'), 'base64')), raw, `${c.id} ${info.name}`);
      else assert.ok(stored[0] === 0x5b && stored[stored.length - 1] === 0x5d, `${c.id} ${info.name}`); // "[" ... "]"
      ranged += 1;
    });
    doc.close();
    const fromBytes = open(bytes);
    assert.ok(fromBytes.tensors.every((info) => info.byteRange === null), c.id);
    fromBytes.close();
  }
  assert.ok(ranged > 100, `only ${ranged} tensors had a range`);
});
