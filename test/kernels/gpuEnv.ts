// The environment of the kernel tests: the WebGPU backend (any adapter, llvmpipe included; without
// one a GPU test skips with the reason, or fails when CKPT_LENS_REQUIRE_ALL=1), and the inputs both
// backends are compared on (the PyTorch fixture and the edge cases of issue 3).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestContext } from 'node:test';
import type { Backend } from '../../kernels/src/backend.ts';
import { createBackend, type CreateBackendOptions } from '../../kernels/src/createBackend.ts';
import type { TensorData } from '../../kernels/src/types.ts';

export const REQUIRE_ALL = process.env.CKPT_LENS_REQUIRE_ALL === '1';

const opened: Backend[] = [];
const shared = new Map<string, Promise<{ backend: Backend | null; reason: string }>>();

/** Options of the GPU backends tests use: every tensor on the GPU, however small. */
export const GPU_TEST_OPTIONS: CreateBackendOptions = { backend: 'webgpu', cpuBelowElements: 0 };

/**
 * Slab layouts for kernels that read a tensor more than once: one resident slab, many resident
 * 4 KiB slabs, and 8 KiB slabs uploaded again for every pass (nothing resident).
 */
export const RESIDENCY_LAYOUTS: readonly (readonly [string, CreateBackendOptions])[] = [
  ['resident, one slab', {}],
  ['resident, many 4 KiB slabs', { maxChunkBytes: 4096 }],
  ['streamed (nothing resident), 8 KiB slabs', { maxChunkBytes: 8192, residentBytes: 0 }],
];

async function open(opts: CreateBackendOptions): Promise<{ backend: Backend | null; reason: string }> {
  try {
    const { backend, description } = await createBackend({ ...GPU_TEST_OPTIONS, ...opts });
    opened.push(backend);
    return { backend, reason: description };
  } catch (e) {
    return { backend: null, reason: `no WebGPU backend: ${(e as Error).message}` };
  }
}

/**
 * A GPU backend with these options, or undefined after skipping the test. Backends are shared by
 * the tests of a file per distinct options, except those given their own `log` (always fresh).
 */
export async function gpuOrSkip(t: TestContext, opts: CreateBackendOptions = {}): Promise<Backend | undefined> {
  let p: Promise<{ backend: Backend | null; reason: string }>;
  if (opts.log) p = open(opts);
  else {
    const key = JSON.stringify(opts);
    p = shared.get(key) ?? open(opts);
    shared.set(key, p);
  }
  const { backend, reason } = await p;
  if (backend) return backend;
  if (REQUIRE_ALL) assert.fail(`CKPT_LENS_REQUIRE_ALL=1 but ${reason}`);
  t.skip(reason);
  return undefined;
}

/** Disposes every backend opened here (call from `after`). */
export async function closeGpus(): Promise<void> {
  await Promise.all(opened.splice(0).map((b) => b.dispose()));
  shared.clear();
}

// ---- inputs -------------------------------------------------------------------------------------

/** Deterministic uniform [0, 1) generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n normal values (Box-Muller), float32. */
export function normal(n: number, seed: number, mean = 0, std = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = mean + std * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return out;
}

/** n random 16-bit patterns: every class of value (NaN, Inf, subnormal, zero) appears. */
export function randomBits16(n: number, seed: number): Uint16Array {
  const r = rng(seed);
  return Uint16Array.from({ length: n }, () => Math.floor(r() * 65536));
}

export const f32 = (data: Float32Array | number[]): TensorData => ({ dtype: 'F32', data: data instanceof Float32Array ? data : Float32Array.from(data) });

/** The inputs every kernel is compared on, GPU against CPU. */
export function edgeCases(): { name: string; x: TensorData }[] {
  const mixed = normal(70001, 7, 0.5, 2);
  for (let i = 0; i < mixed.length; i += 997) mixed[i] = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -3e-42][(i / 997) % 7]!;
  const subnormal = Float32Array.from({ length: 5000 }, (_, i) => (i % 2 ? -1 : 1) * (i + 1) * 1e-45);
  const huge = Float32Array.from(normal(4099, 11), (v) => v * 1e38);
  const offset = normal(66000, 12, 1000, 1e-3);
  const tiny = normal(10007, 13, 0, 1e-30);
  const zeros = new Float32Array(65537);
  for (let i = 0; i < zeros.length; i += 3) zeros[i] = -0;
  return [
    { name: 'empty', x: f32([]) },
    { name: 'one element', x: f32([-2.5]) },
    { name: 'one NaN', x: f32([NaN]) },
    { name: 'length 4097 (not a workgroup multiple)', x: f32(normal(4097, 1)) },
    { name: 'length 300007', x: f32(normal(300007, 2, -1, 3)) },
    { name: 'all zeros (+0 and -0)', x: f32(zeros) },
    { name: 'NaN, Inf and subnormals among normals', x: f32(mixed) },
    { name: 'only subnormals', x: f32(subnormal) },
    { name: 'near float32 max', x: f32(huge) },
    { name: 'mean 1000, spread 1e-3', x: f32(offset) },
    { name: 'scale 1e-30', x: f32(tiny) },
    { name: 'BF16 random bits (odd length)', x: { dtype: 'BF16', data: randomBits16(20001, 21) } },
    { name: 'F16 random bits (odd length)', x: { dtype: 'F16', data: randomBits16(20001, 22) } },
    // Large 16-bit tensors take the CPU's pattern-count path (kernels/src/cpu/halfPatterns.ts).
    { name: 'BF16 random bits, 70001', x: { dtype: 'BF16', data: randomBits16(70001, 23) } },
    { name: 'F16 random bits, 70001', x: { dtype: 'F16', data: randomBits16(70001, 24) } },
    { name: 'BF16 normal, 100003', x: { dtype: 'BF16', data: Uint16Array.from(new Uint32Array(normal(100003, 25, 0.1, 0.02).buffer), (b) => b >>> 16) } },
    { name: 'BF16 one element', x: { dtype: 'BF16', data: Uint16Array.of(0xbfc0) } },
  ];
}

// ---- the PyTorch fixture (test/fixtures/kernels/make_kernel_fixture.py) -------------------------

export interface FixtureTensor {
  x: TensorData;
  stats: Record<string, number | null>;
  histograms: { spec: { scale: 'linear'; bins: number; lo: number; hi: number }; counts: number[]; below: number; above: number; nan: number }[];
  kth: { k: number; value: number; below: number; equal: number }[];
  median: number;
}

export function kernelFixture(): Record<string, FixtureTensor> {
  const path = resolve('test/fixtures/kernels/tiny-llama-200-up_proj.json');
  const json = JSON.parse(readFileSync(path, 'utf8')) as { tensors: Record<string, Omit<FixtureTensor, 'x'> & { dtype: 'F32' | 'BF16' | 'F16'; bits: string }> };
  const out: Record<string, FixtureTensor> = {};
  for (const [name, t] of Object.entries(json.tensors)) {
    const bytes = Buffer.from(t.bits, 'base64');
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const x: TensorData = t.dtype === 'F32' ? { dtype: 'F32', data: new Float32Array(buf) } : { dtype: t.dtype, data: new Uint16Array(buf) };
    out[name] = { x, stats: t.stats, histograms: t.histograms, kth: t.kth, median: t.median };
  }
  return out;
}
