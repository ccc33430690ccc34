// Kernel throughput: GB/s of input for each kernel, dtype and backend on one large tensor
// (256 MiB by default), and for WebGPU the share of the time an upload alone (and a readback of
// the kernel's output alone) takes. Prints the machine and the adapter.
//
//   node --import tsx scripts/bench/kernels.ts [--size=256MiB] [--reps=3] [--backends=cpu:1,cpu,webgpu] [--only=excp,nm]
// (`cpu:N` is the CPU backend on N threads; plain `cpu` uses the default thread count.)
import type { Backend } from '../../kernels/src/backend.ts';
import { createBackend, type BackendChoice } from '../../kernels/src/createBackend.ts';
import type { HistogramSpec } from '../../kernels/src/histogram.ts';
import { lowerMedianRank } from '../../kernels/src/select.ts';
import { makeCodebook } from '../../kernels/src/codebooks.ts';
import { float32Values } from '../../kernels/src/float32View.ts';
import type { TensorData } from '../../kernels/src/types.ts';
import { BufferUsage, MapMode } from '../../kernels/src/webgpu/constants.ts';
import type { GpuRuntime } from '../../kernels/src/webgpu/runtime.ts';
import { planSlabs, uploadSlab } from '../../kernels/src/webgpu/slabs.ts';
import { machineDescription } from './machine.ts';
import type { WebGpuBackend } from '../../kernels/src/webgpu/webgpuBackend.ts';

interface Options {
  bytes: number;
  reps: number;
  backends: string[];
  /** run only kernels whose name contains one of these */
  only?: string[];
}

function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(k|kib|m|mib|g|gib|b)?$/i.exec(s.trim());
  if (!m) throw new Error(`bad --size ${s} (e.g. 256MiB, 64M, 1GiB)`);
  const unit = (m[2] ?? 'mib').toLowerCase()[0];
  return Math.floor(Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1 << 20 : unit === 'g' ? 1 << 30 : 1));
}

function parseArgs(argv: string[]): Options {
  const get = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  return {
    bytes: parseSize(get('size') ?? '256MiB'),
    reps: Number(get('reps') ?? 3),
    backends: (get('backends') ?? 'cpu:1,cpu,webgpu').split(','),
    only: get('only')?.split(','),
  };
}

/** A normal-ish tensor (sum of uniforms) filled fast, and its BF16 twin of the same byte size. */
function makeInputs(bytes: number): { f32: TensorData; bf16: TensorData } {
  const n = Math.floor(bytes / 4);
  const f = new Float32Array(n);
  let s = 0x9e3779b9;
  const next = () => ((s = (s ^ (s << 13)) >>> 0), (s = (s ^ (s >>> 17)) >>> 0), (s = (s ^ (s << 5)) >>> 0), s / 4294967296);
  for (let i = 0; i < n; i++) f[i] = (next() + next() + next() - 1.5) * 0.02;
  const h = new Uint16Array(n * 2);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < h.length; i++) h[i] = u[i % n]! >>> 16;
  return { f32: { dtype: 'F32', data: f }, bf16: { dtype: 'BF16', data: h } };
}

interface Kernel {
  name: string;
  run(b: Backend, x: TensorData): Promise<unknown>;
  /** bytes the GPU reads back per slab (for the readback share) */
  readbackBytes(slabBytes: number): number;
  /** input tensors of the size of x the kernel reads (GB/s counts them all; default 1) */
  inputs?: number;
}

/** 2-D view of the bench tensor: rows of 4096 (the size is a multiple of 16 KiB). */
const matrix = (x: TensorData) => [Math.floor(x.data.length / 4096), 4096];

/** ExCP's other inputs for weights x, made once per tensor: R = x shifted by one, m = x, v = x^2. */
const excpCompanions = new WeakMap<TensorData, { r: TensorData; m: TensorData; v: TensorData }>();
function excpInputs(x: TensorData): { r: TensorData; m: TensorData; v: TensorData } {
  let c = excpCompanions.get(x);
  if (!c) {
    const f = float32Values(x);
    const sq = Float32Array.from(f, (a) => a * a);
    const shifted = x.data.slice();
    shifted.copyWithin(0, 1);
    shifted[x.data.length - 1] = x.data[0]!;
    const r = (x.dtype === 'F32' ? { dtype: 'F32', data: shifted } : { dtype: x.dtype, data: shifted }) as TensorData;
    const v: TensorData = x.dtype === 'F32' ? { dtype: 'F32', data: sq } : { dtype: 'BF16', data: Uint16Array.from(new Uint32Array(sq.buffer), (b) => b >>> 16) };
    excpCompanions.set(x, (c = { r, m: x, v }));
  }
  return c;
}

/** Quantization: the 4-bit recipe's codebooks, and an x_hat buffer per tensor (made once). */
const DE4 = makeCodebook('de-signed').values;
const LIN0 = makeCodebook('linear-nozero').values;
const xHatBuffers = new WeakMap<TensorData, Float32Array>();
const xHat = (x: TensorData) => xHatBuffers.get(x) ?? (xHatBuffers.set(x, new Float32Array(x.data.length)), xHatBuffers.get(x)!);

/** k-means: a mask keeping every tenth element (ExCP keeps ~10% of the moments), made once per tensor. */
const masks = new WeakMap<TensorData, Uint8Array>();
const sparseMask = (x: TensorData) => masks.get(x) ?? (masks.set(x, Uint8Array.from({ length: x.data.length }, (_, i) => (i % 10 === 3 ? 1 : 0))), masks.get(x)!);

const LINEAR: HistogramSpec = { scale: 'linear', bins: 256, lo: -0.05, hi: 0.05 };
const ADAM_LOG: HistogramSpec = { scale: 'log10abs', bins: 4096, lo: 0, hi: 6.5, transform: 'adam-update' };

const KERNELS: Kernel[] = [
  { name: 'stats', run: (b, x) => b.stats(x), readbackBytes: (slab) => Math.ceil(slab / 4096) * 64 },
  { name: 'histogram 256 lin', run: (b, x) => b.histogram(x, LINEAR), readbackBytes: () => 260 * 4 },
  { name: 'histogram 4096 h(v)', run: (b, x) => b.histogram(x, ADAM_LOG), readbackBytes: () => 4100 * 4 },
  { name: 'select median', run: (b, x) => b.selectMagnitude(x, lowerMedianRank(x.data.length)), readbackBytes: () => 3 * 2048 * 4 },
  { name: 'quant B128 DE4', run: (b, x) => b.quantError(x, [x.data.length], { codebook: DE4, normalization: { kind: 'block', blockSize: 128 } }), readbackBytes: (slab) => slab / 32 + slab / 85 },
  { name: 'quant B128 +x_hat', run: (b, x) => b.quantError(x, [x.data.length], { codebook: DE4, normalization: { kind: 'block', blockSize: 128 }, dequantized: xHat(x) }), readbackBytes: (slab) => slab / 32 + slab / 85 + slab },
  { name: 'quant rank-1 v', run: (b, x) => b.quantError(x, matrix(x), { codebook: LIN0, normalization: { kind: 'rank1' }, secondMoment: true }), readbackBytes: (slab) => slab / 256 + slab / 64 + slab / 85 },
  { name: 'factored v', run: (b, x) => b.factoredError(x, matrix(x)), readbackBytes: (slab) => slab / 256 + slab / 64 + slab / 85 },
  { name: 'profiles max-abs', run: (b, x) => b.profiles(x, matrix(x)), readbackBytes: (slab) => slab / 1024 + slab / 256 },
  { name: 'profiles +L2', run: (b, x) => b.profiles(x, matrix(x), { l2: true }), readbackBytes: (slab) => slab / 512 + slab / 128 },
  { name: 'nm 2:4', run: (b, x) => b.nm(x, matrix(x), { n: 2, m: 4 }), readbackBytes: (slab) => slab / 32 },
  { name: 'nm 2:4 + mask', run: (b, x) => b.nm(x, matrix(x), { n: 2, m: 4, mask: new Uint8Array(x.data.length) }), readbackBytes: (slab) => slab / 32 + slab / 4 },
  { name: 'excp step (W,R,m,v)', run: (b, x) => { const c = excpInputs(x); return b.excpStep(x, c.r, c.m, c.v); }, readbackBytes: (slab) => slab * 1.5, inputs: 4 },
  // k-means reads the tensor three times (range, histogram, codes); the codes (1 byte per element) come back
  { name: 'kmeans k=15', run: (b, x) => b.kmeans(x, { k: 15 }), readbackBytes: (slab) => slab / 4 + slab / 128 },
  { name: 'kmeans k=15 mask 10%', run: (b, x) => b.kmeans(x, { k: 15, mask: sparseMask(x) }), readbackBytes: (slab) => slab / 4 + slab / 128 },
];

async function best(reps: number, f: () => Promise<unknown>): Promise<number> {
  await f(); // warm-up: JIT, pipeline compilation, pooled buffers
  let t = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
}

/** Time to upload x through the same slabs and ring as the kernels, nothing else. */
async function uploadOnly(rt: GpuRuntime, x: TensorData): Promise<number> {
  const ring = [0, 1].map(() => rt.pool.acquire(rt.slabBytes, BufferUsage.STORAGE | BufferUsage.COPY_DST, 'bench upload'));
  const bpe = x.dtype === 'F32' ? 4 : 2;
  const t0 = performance.now();
  for (const slab of planSlabs(x.data.length, bpe, rt.slabBytes)) {
    uploadSlab(rt, x, slab, ring[slab.index % 2]!);
    if (slab.index % 2 === 1) await rt.device.queue.onSubmittedWorkDone();
  }
  await rt.device.queue.onSubmittedWorkDone();
  const t = performance.now() - t0;
  ring.forEach((b) => rt.pool.release(b));
  return t;
}

/** Time to copy and map `bytes` back, once per slab. */
async function readbackOnly(rt: GpuRuntime, bytes: number, slabs: number): Promise<number> {
  const size = Math.max(16, Math.ceil(bytes / 16) * 16);
  const src = rt.pool.acquire(size, BufferUsage.STORAGE | BufferUsage.COPY_SRC, 'bench output');
  const t0 = performance.now();
  for (let i = 0; i < slabs; i++) {
    const rb = rt.pool.acquire(size, BufferUsage.MAP_READ | BufferUsage.COPY_DST, 'bench readback');
    const enc = rt.device.createCommandEncoder();
    enc.copyBufferToBuffer(src, 0, rb, 0, size);
    rt.device.queue.submit([enc.finish()]);
    await rb.mapAsync(MapMode.READ, 0, size);
    new Uint8Array(rb.getMappedRange(0, size)).slice();
    rb.unmap();
    rt.pool.release(rb);
  }
  const t = performance.now() - t0;
  rt.pool.release(src);
  return t;
}

const pct = (a: number, b: number) => `${Math.round((100 * a) / b)}%`;
const gbs = (bytes: number, ms: number) => (bytes / ms / 1e6).toFixed(2);

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  console.log(`machine: ${machineDescription()}`);
  console.log(`input: ${(opts.bytes / 2 ** 20).toFixed(0)} MiB per tensor (F32 and BF16), best of ${opts.reps} after a warm-up`);
  const inputs = makeInputs(opts.bytes);
  const backends: { label: string; backend: Backend }[] = [];
  for (const arg of opts.backends) {
    const [choice, threads] = arg.split(':') as [BackendChoice, string | undefined];
    try {
      const { backend, description } = await createBackend({ backend: choice, cpuBelowElements: 0, cpuThreads: threads ? Number(threads) : undefined });
      const label = backend.kind === 'cpu' ? `cpu x${/(\d+) thread/.exec(backend.description)?.[1] ?? '?'}` : backend.kind;
      console.log(`${label}: ${description}`);
      backends.push({ label, backend });
    } catch (e) {
      console.log(`${arg}: unavailable (${(e as Error).message})`);
    }
  }
  console.log(`\n${'kernel'.padEnd(22)}${'dtype'.padEnd(7)}${'backend'.padEnd(9)}${'GB/s'.padStart(7)}${'ms'.padStart(9)}${'upload'.padStart(8)}${'readback'.padStart(10)}`);
  for (const k of KERNELS.filter((k) => !opts.only || opts.only.some((o) => k.name.includes(o)))) {
    for (const [dtype, x] of [['F32', inputs.f32], ['BF16', inputs.bf16]] as const) {
      for (const { label, backend: b } of backends) {
        const ms = await best(opts.reps, () => k.run(b, x));
        let up = '-', down = '-';
        if (b.kind === 'webgpu') {
          const rt = (b as WebGpuBackend).runtime;
          const slabs = Math.ceil(opts.bytes / rt.slabBytes);
          up = pct(await uploadOnly(rt, x), ms);
          down = pct(await readbackOnly(rt, k.readbackBytes(rt.slabBytes), slabs * (k.name.startsWith('select') ? 3 : 1)), ms);
        }
        console.log(`${k.name.padEnd(22)}${dtype.padEnd(7)}${label.padEnd(9)}${gbs(opts.bytes * (k.inputs ?? 1), ms).padStart(7)}${ms.toFixed(1).padStart(9)}${up.padStart(8)}${down.padStart(10)}`);
      }
    }
  }
  for (const { backend } of backends) await backend.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
