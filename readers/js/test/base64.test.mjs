import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64 } from '../src/base64.mjs';

const ok = (text, bytes) => assert.deepEqual(Array.from(decodeBase64(text, BigInt(bytes.length)).bytes ?? ['error']), bytes);
const code = (text, declared) => decodeBase64(text, BigInt(declared)).code;

test('canonical base64 decodes', () => {
  ok('', []);
  ok('AA==', [0]);
  ok('AAA=', [0, 0]);
  ok('AAAA', [0, 0, 0]);
  ok('+/+/', [0xfb, 0xff, 0xbf]);
  ok('AQIDBA==', [1, 2, 3, 4]);
});

test('one valid text per byte string: non-zero unused bits are an error', () => {
  assert.equal(code('AB==', 1), 'DATA_BASE64');
  assert.equal(code('AP==', 1), 'DATA_BASE64');
  assert.equal(code('AAB=', 2), 'DATA_BASE64');
  assert.equal(code('AAD=', 2), 'DATA_BASE64');
  ok('AQ==', [1]);
  ok('AAE=', [0, 1]);
});

test('alphabet, padding, whitespace', () => {
  assert.equal(code('AA-_', 3), 'DATA_BASE64'); // base64url
  assert.equal(code('A=AA', 3), 'DATA_BASE64'); // inner padding
  assert.equal(code('AA==AAAA', 6), 'DATA_BASE64');
  assert.equal(code('A===', 1), 'DATA_BASE64'); // "=" beyond the last two places
  assert.equal(code('AAAA\nAAA', 6), 'DATA_BASE64'); // length 8 but a line break
  assert.equal(code('AAA A', 3), 'DATA_BASE64'); // length 5: not a multiple of 4
  assert.equal(code('AA', 1), 'DATA_BASE64'); // unpadded
  assert.equal(code('AAAAAA', 4), 'DATA_BASE64');
  assert.equal(code('AA\u00e9A', 3), 'DATA_BASE64');
});

test('length is checked before the characters: DATA_LENGTH', () => {
  assert.equal(code('AAAA', 4), 'DATA_LENGTH');
  assert.equal(code('AAAA', 2), 'DATA_LENGTH');
  assert.equal(code('AA==', 2), 'DATA_LENGTH');
  assert.equal(code('!!!!', 2), 'DATA_LENGTH'); // wrong length wins over wrong characters
  assert.equal(code('A===', 2), 'DATA_LENGTH'); // 3 bytes minus 2 pads is 1, not 2
});

test('the length counts code points, not UTF-16 units', () => {
  // "AAA" + U+1F600 is 4 code points (5 UTF-16 units): a multiple of 4.
  assert.equal(code('AAA\u{1F600}', 5), 'DATA_LENGTH');
  assert.equal(code('AAA\u{1F600}', 3), 'DATA_BASE64');
});
