// open + getTensor of a small tensor against read, on a big document, each in
// a fresh node process: the time of the call and the process's peak RSS.
//
//   node bench/open.mjs DIR [SIZE_MB]   writes DIR/big.msgpack and DIR/big.json (base64) of about
//                                       SIZE_MB MB each (400 unless given) if missing, then runs
//                                       each case 3 times and prints the best
//
// Linux only (peak RSS is VmHWM of /proc/self/status, reset just before the
// call). The time excludes node's start and compiling the schema, which both
// cases pay alike; the peak RSS includes what the process held before the call.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const status = (field) => Number(/(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(field)))[1]) * 1024;

async function child(mode, file) {
  const { open, read } = await import('../src/index.mjs');
  const { loadValidator } = await import('../src/schema.mjs');
  loadValidator();
  // Resets the peak RSS to the current RSS, so that the peak is this call's (Linux 4.0 or newer).
  writeFileSync('/proc/self/clear_refs', '5');
  const before = status('VmRSS:');
  const t0 = process.hrtime.bigint();
  if (mode === 'open') {
    const doc = open(file);
    const small = doc.getTensor('dense/kernel');
    doc.close();
    if (small.data.length !== 6) throw new Error('wrong tensor');
  } else {
    const doc = read(readFileSync(file));
    if (doc.tensors.length !== 2) throw new Error('wrong document');
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({ ms, rssBefore: before, peakRss: status('VmHWM:') }));
}

async function main(dir, sizeMb = '400') {
  const { writeBigDocument } = await import('../test/bigdoc.mjs');
  const size = Number(sizeMb) * 1e6;
  const mb = (b) => (b / 2 ** 20).toFixed(0);
  for (const container of ['msgpack', 'json']) {
    const file = join(dir, `big.${container}`);
    // base64 text is 4/3 of its bytes
    if (!existsSync(file)) writeBigDocument(file, container, container === 'json' ? Math.round(size * 3 / 4) : size);
    const fileSize = statSync(file).size;
    for (const mode of ['open', 'read']) {
      const runs = [0, 1, 2].map(() => JSON.parse(execFileSync(process.execPath, [here, '--child', mode, file], { encoding: 'utf8', maxBuffer: 1 << 20 })));
      const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
      const peak = Math.max(...runs.map((r) => r.peakRss));
      console.log(`${container.padEnd(7)} ${mb(fileSize).padStart(5)} MiB  ${mode === 'open' ? 'open+getTensor(small)' : 'read               '}`
        + `  best ${best.ms.toFixed(0).padStart(6)} ms  (runs ${runs.map((r) => r.ms.toFixed(0)).join(', ')})`
        + `  peak RSS ${mb(peak).padStart(5)} MiB  (RSS before the call ${mb(best.rssBefore)} MiB)`);
    }
  }
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4]);
else if (process.argv[2]) await main(process.argv[2], process.argv[3]);
else {
  console.error('usage: node bench/open.mjs DIR [SIZE_MB]');
  process.exit(2);
}
