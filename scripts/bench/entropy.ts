// The entropy-coding layer against general-purpose coders on the same payloads: 7-Zip at -mx=9
// (what the ExCP paper used), brotli at quality 11 (large window), and ours (server/src/compress/codec),
// with our encode/decode speeds. Payloads: ExCP code streams and lossless float tensors of the
// fixtures (coded per tensor, as the archive stores them), then larger synthetic ones for speed.
// `--quick` leaves 7-Zip and brotli out of the synthetic rows (they take most of the run).
import { brotliCompressSync, constants } from 'node:zlib';
import { decodeCodes, decodeFloatPlanes, encodeCodes, encodeFloatPlanes, type PlaneDType } from '../../server/src/compress/codec/index.ts';
import { EXCP_BITS, FIXTURES, concat, concatCodes, excpCodeStreams, packNibbles, sevenZipSize, tensorBytes, why7zMissing, type TensorPart } from '../../test/compress/codecPayloads.ts';
import { machineDescription } from './machine.ts';

const quick = process.argv.includes('--quick');
const no7z = why7zMissing();

interface Row {
  payload: string;
  raw: number;
  /** what 7-Zip and brotli are given (the raw bytes, or for codes the better of raw / nibble-packed) */
  baselines: Uint8Array[] | null;
  ours: number;
  encodeMBs: number;
  decodeMBs: number;
}

function brotli(data: Uint8Array): number {
  return brotliCompressSync(data, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
  }).length;
}

/** Best of three timings, in MB (10^6 bytes of raw payload) per second. */
function speed(rawBytes: number, run: () => void): number {
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const start = performance.now();
    run();
    best = Math.min(best, performance.now() - start);
  }
  return rawBytes / 1e3 / best;
}

interface CodeStream {
  codes: Uint8Array;
  rowLength?: number;
}

function codesRow(payload: string, streams: CodeStream[], baselines: Uint8Array[] | null): Row {
  const raw = streams.reduce((s, x) => s + x.codes.length, 0);
  let coded: Uint8Array[] = [];
  const encodeMBs = speed(raw, () => {
    coded = streams.map((x) => encodeCodes(x.codes, EXCP_BITS, x.rowLength ? { rowLength: x.rowLength } : {}));
  });
  const decodeMBs = speed(raw, () => {
    streams.forEach((x, i) => {
      if (decodeCodes(coded[i], x.codes.length, EXCP_BITS)[x.codes.length >> 1] !== x.codes[x.codes.length >> 1]) throw new Error(`${payload}: mismatch`);
    });
  });
  return { payload, raw, baselines, ours: coded.reduce((s, c) => s + c.length, 0), encodeMBs, decodeMBs };
}

interface FloatTensor {
  dtype: PlaneDType;
  bytes: Uint8Array;
  ref?: Uint8Array;
}

function floatRow(payload: string, tensors: FloatTensor[], withBaselines: boolean): Row {
  const raw = tensors.reduce((s, x) => s + x.bytes.length, 0);
  let coded: Uint8Array[] = [];
  const encodeMBs = speed(raw, () => {
    coded = tensors.map((x) => encodeFloatPlanes(x.bytes, x.dtype, x.ref));
  });
  const decodeMBs = speed(raw, () => {
    tensors.forEach((x, i) => {
      if (decodeFloatPlanes(coded[i], x.dtype, x.ref).length !== x.bytes.length) throw new Error(`${payload}: mismatch`);
    });
  });
  // With a reference, the general-purpose coders get the same information: the XOR.
  const baseline = concat(tensors.map((x) => (x.ref ? x.bytes.map((b, i) => b ^ x.ref![i]) : x.bytes)));
  return { payload, raw, baselines: withBaselines ? [baseline] : null, ours: coded.reduce((s, c) => s + c.length, 0), encodeMBs, decodeMBs };
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function gaussianF32(n: number, random: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => 0.02 * Math.sqrt(-2 * Math.log(random() + 1e-300)) * Math.cos(2 * Math.PI * random()));
}

function toBf16(f: Float32Array): Uint8Array {
  const u = new Uint32Array(f.buffer, f.byteOffset, f.length);
  const out = new Uint16Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = (u[i] + 0x7fff + ((u[i] >>> 16) & 1)) >>> 16; // round to nearest even
  return new Uint8Array(out.buffer);
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const [cur, ref] of [['tiny-llama/checkpoint-200', 'tiny-llama/checkpoint-100'], ['tiny-llama-bf16/checkpoint-200', 'tiny-llama-bf16/checkpoint-100']]) {
    const tensors = await excpCodeStreams(`${FIXTURES}/${cur}`, `${FIXTURES}/${ref}`);
    const streams = tensors.flatMap((t) => [{ codes: t.w, rowLength: t.rowLength }, { codes: t.m }, { codes: t.v }]);
    const all = concatCodes(tensors);
    rows.push(codesRow(`ExCP codes ${cur.replace('/checkpoint-', '@')} vs ${ref.split('-').pop()}`, streams, [all, packNibbles(all)]));
  }
  const lossless: Array<[string, TensorPart, string | null]> = [
    ['tiny-llama/checkpoint-200', 'weight', null],
    ['tiny-llama/checkpoint-200', 'exp_avg', null],
    ['tiny-llama/checkpoint-200', 'exp_avg_sq', null],
    ['tiny-llama-bf16/checkpoint-200', 'weight', null],
    ['tiny-llama/checkpoint-200', 'weight', 'tiny-llama/checkpoint-100'],
    ['tiny-llama-bf16/checkpoint-200', 'weight', 'tiny-llama-bf16/checkpoint-100'],
  ];
  for (const [dir, part, refDir] of lossless) {
    const now = await tensorBytes(`${FIXTURES}/${dir}`, part);
    const before = refDir ? await tensorBytes(`${FIXTURES}/${refDir}`, part) : null;
    const tensors = now.map((t, i) => ({ dtype: t.dtype as PlaneDType, bytes: t.bytes, ref: before?.[i]!.bytes }));
    rows.push(floatRow(`lossless ${now[0]!.dtype} ${part} ${dir.replace('/checkpoint-', '@')}${refDir ? ` XOR @${refDir.split('-').pop()}` : ''}`, tensors, true));
  }

  // Synthetic, for speed: 10M codes drawn from the fixture's weight-code distribution (i.i.d.), and
  // N(0, 0.02) floats as F32 and BF16.
  const random = seeded(7);
  const fixtureW = concat((await excpCodeStreams(`${FIXTURES}/tiny-llama/checkpoint-200`, `${FIXTURES}/tiny-llama/checkpoint-100`)).map((t) => t.w));
  const synthCodes = Uint8Array.from({ length: 10_000_000 }, () => fixtureW[Math.floor(random() * fixtureW.length)]!);
  rows.push(codesRow('synthetic 10M weight codes (i.i.d.)', [{ codes: synthCodes }], quick ? null : [synthCodes, packNibbles(synthCodes)]));
  const f32 = gaussianF32(4_000_000, random);
  rows.push(floatRow('synthetic 4M F32 N(0, 0.02)', [{ dtype: 'F32', bytes: new Uint8Array(f32.buffer) }], !quick));
  rows.push(floatRow('synthetic 4M BF16 N(0, 0.02)', [{ dtype: 'BF16', bytes: toBf16(f32) }], !quick));

  const cell = (bytes: number, raw: number) => `${bytes.toLocaleString('en-US')} (${(raw / bytes).toFixed(2)}x)`;
  console.log(`machine: ${machineDescription()}`);
  if (no7z) console.log(`(7z column empty: ${no7z})`);
  console.log('codes: raw = one byte per code; 7z and brotli get the better of one byte per code and two codes per byte. MB/s = 10^6 raw bytes (codes) per second.');
  console.log('| payload | raw bytes | 7z -mx=9 | brotli q11 | ours | ours vs 7z | encode MB/s | decode MB/s |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const seven = r.baselines && !no7z ? Math.min(...r.baselines.map(sevenZipSize)) : null;
    const br = r.baselines ? Math.min(...r.baselines.map(brotli)) : null;
    const vs = seven ? `${((r.ours / seven - 1) * 100).toFixed(1)}%` : '';
    console.log(`| ${r.payload} | ${r.raw.toLocaleString('en-US')} | ${seven ? cell(seven, r.raw) : ''} | ${br ? cell(br, r.raw) : ''} | ${cell(r.ours, r.raw)} | ${vs} | ${r.encodeMBs.toFixed(1)} | ${r.decodeMBs.toFixed(1)} |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
