// The kernel runtime: backend choice, shader embedding, dispatch and slab planning, pipeline cache,
// error logging, device loss, and a process that exits by itself.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { CpuBackend } from '../../kernels/src/cpu/cpuBackend.ts';
import { cpuStats } from '../../kernels/src/cpu/stats.ts';
import type { HistogramSpec } from '../../kernels/src/histogram.ts';
import type { TensorData } from '../../kernels/src/types.ts';
import { BACKEND_CHOICES, createBackend, type BackendChoice } from '../../kernels/src/createBackend.ts';
import { summarizeStats } from '../../kernels/src/stats.ts';
import { sizeClass } from '../../kernels/src/webgpu/bufferPool.ts';
import { gridFor } from '../../kernels/src/webgpu/dispatch.ts';
import { pipelineKey } from '../../kernels/src/webgpu/pipelineCache.ts';
import { gpuDeviceNodes } from '../../kernels/src/webgpu/gpuDevices.ts';
import { planSlabs } from '../../kernels/src/webgpu/slabs.ts';
import type { WebGpuBackend } from '../../kernels/src/webgpu/webgpuBackend.ts';
import { KERNEL_PARTS } from '../../kernels/src/webgpu/wgsl/shaders.generated.ts';
import { closeGpus, f32, GPU_TEST_OPTIONS, gpuOrSkip, normal, REQUIRE_ALL } from './gpuEnv.ts';

after(closeGpus);

describe('runtime pieces', () => {
  test('shaders.generated.ts holds the current .wgsl sources and kernel parts (else run node kernels/scripts/embed-wgsl.mjs)', () => {
    const check = spawnSync(process.execPath, ['kernels/scripts/embed-wgsl.mjs', '--check'], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    assert.deepEqual(KERNEL_PARTS.stats, ['common', 'input', 'stats']);
    assert.deepEqual(KERNEL_PARTS.excpMask, ['common', 'excpMask'], 'kernels that do not use a snippet compile without it');
  });

  test('pipeline keys name the kernel and every specialization, in a fixed order', () => {
    assert.equal(pipelineKey({ kernel: 'stats', constants: { WG: 64, DTYPE: 1, VPT: 256 } }), 'stats|DTYPE=1|VPT=256|WG=64');
    assert.notEqual(pipelineKey({ kernel: 'stats', constants: { DTYPE: 0 } }), pipelineKey({ kernel: 'stats', constants: { DTYPE: 2 } }));
  });

  test('dispatches split at the workgroup-count limit', () => {
    assert.deepEqual(gridFor(0, 65535), { x: 0, y: 0, total: 0 });
    assert.deepEqual(gridFor(100, 65535), { x: 100, y: 1, total: 100 });
    assert.deepEqual(gridFor(70000, 65535), { x: 65535, y: 2, total: 131070 });
    assert.deepEqual(gridFor(10, 4), { x: 4, y: 3, total: 12 });
    assert.throws(() => gridFor(17, 4), RangeError);
  });

  test('slabs cover the tensor in whole 32-bit words and fit the slab size', () => {
    for (const [numel, bpe, bytes] of [[0, 4, 4096], [1, 2, 16], [1001, 2, 64], [1 << 20, 4, 1 << 20], [(1 << 22) + 3, 2, 3 << 20]] as const) {
      const slabs = planSlabs(numel, bpe, bytes);
      let next = 0;
      for (const s of slabs) {
        assert.equal(s.start, next);
        assert.ok(s.count * bpe <= bytes && s.count > 0);
        assert.equal((s.start * bpe) % 4, 0, 'slab starts on a word');
        next += s.count;
      }
      assert.equal(next, numel);
    }
  });

  test('pooled buffer sizes round up to few classes', () => {
    assert.deepEqual([1, 256, 257, 5000, 16 << 20, (16 << 20) + 1].map(sizeClass), [256, 256, 512, 8192, 16 << 20, 32 << 20]);
  });
});

describe('backend choice', () => {
  test('cpu is always available and says so', async () => {
    const { backend, description } = await createBackend({ backend: 'cpu' });
    assert.equal(backend.kind, 'cpu');
    assert.match(description, /CPU.*"cpu" was asked for/);
  });

  test('auto takes WebGPU only on a hardware adapter, and says why', async () => {
    const infos: string[] = [];
    const { backend, description } = await createBackend({ backend: 'auto', log: { info: (m) => infos.push(m), warn: () => {} } });
    try {
      if (backend.kind === 'cpu') assert.match(description, /auto: no hardware GPU adapter/);
      else {
        assert.match(description, /auto: hardware adapter found/);
        assert.doesNotMatch(description, /software/);
      }
      assert.ok(infos.some((m) => m.includes(description)), 'the choice is logged');
    } finally {
      await backend.dispose();
    }
  });

  test('unknown choices are refused', async () => {
    await assert.rejects(createBackend({ backend: 'tpu' as BackendChoice }), /unknown backend "tpu"/);
    assert.deepEqual(BACKEND_CHOICES, ['auto', 'webgpu', 'cpu']);
  });

  test('webgpu names its adapter', async (t) => {
    const gpu = await gpuOrSkip(t);
    if (!gpu) return;
    assert.equal(gpu.kind, 'webgpu');
    assert.match(gpu.description, /^WebGPU on \S/);
  });
});

describe('CPU worker threads', () => {
  test('give the single-threaded answers (ranges combine exactly)', async () => {
    const threaded = new CpuBackend({ threads: 3, parallelMinElements: 10000 });
    const single = new CpuBackend({ threads: 1 });
    try {
      assert.match(threaded.description, /3 threads/);
      const data = normal(250001, 8, 0.5, 2);
      data[77] = NaN;
      const shared = new Float32Array(new SharedArrayBuffer(4 * 90001));
      shared.set(normal(90001, 9));
      const inputs: TensorData[] = [
        f32(data),
        { dtype: 'F32', data: shared },
        { dtype: 'BF16', data: Uint16Array.from(new Uint32Array(data.buffer), (b) => b >>> 16) },
        { dtype: 'F16', data: new Uint16Array(120001).map((_, i) => (i * 7919) & 0xffff) },
      ];
      const spec: HistogramSpec = { scale: 'log10abs', bins: 500, lo: -6, hi: 2 };
      for (const x of inputs) {
        const [a, b] = [summarizeStats(await threaded.stats(x)), summarizeStats(await single.stats(x))];
        for (const k of ['numel', 'count', 'zeros', 'nan', 'min', 'max'] as const) assert.equal(a[k], b[k], `${x.dtype} ${k}`);
        assert.ok(Math.abs(a.mean - b.mean) <= 1e-12 * (b.std + Math.abs(b.mean)) && Math.abs(a.std - b.std) <= 1e-12 * b.std, `${x.dtype} moments`);
        assert.deepEqual(await threaded.histogram(x, spec), await single.histogram(x, spec));
        for (const k of [0, 12345, x.data.length - 1]) assert.deepEqual(await threaded.selectMagnitude(x, k), await single.selectMagnitude(x, k));
      }
      // Calls in parallel share one scratch buffer: they must queue, not overwrite each other.
      const [s1, s2] = await Promise.all([threaded.stats(inputs[0]!), threaded.stats(inputs[2]!)]);
      assert.equal(s1.count, 250000);
      assert.equal(s2.numel, 250001);
    } finally {
      await threaded.dispose();
    }
  });
});

describe('WebGPU runtime', () => {
  test('compiles each pipeline once, however many calls', async (t) => {
    const gpu = (await gpuOrSkip(t)) as WebGpuBackend | undefined;
    if (!gpu) return;
    const x = f32(normal(5000, 1));
    await gpu.stats(x);
    await gpu.selectMagnitude(x, 10);
    const compiled = gpu.runtime.pipelines.size;
    for (let i = 0; i < 3; i++) {
      await gpu.stats(x);
      await gpu.selectMagnitude(x, i);
    }
    assert.equal(gpu.runtime.pipelines.size, compiled);
  });

  test('reads data on a SharedArrayBuffer and 16-bit data at an odd word offset', async (t) => {
    const gpu = await gpuOrSkip(t, { maxChunkBytes: 1024 });
    if (!gpu) return;
    const shared = new Float32Array(new SharedArrayBuffer(4 * 3001));
    shared.set(normal(3001, 2));
    const halves = new Uint16Array(2001).map((_, i) => 0x3c00 + (i % 300));
    const odd = { dtype: 'F16' as const, data: halves.subarray(1) }; // byteOffset 2
    for (const x of [{ dtype: 'F32' as const, data: shared }, odd]) {
      const g = summarizeStats(await gpu.stats(x));
      const c = summarizeStats(cpuStats(x));
      assert.deepEqual([g.numel, g.min, g.max], [c.numel, c.min, c.max]);
      assert.ok(Math.abs(g.mean - c.mean) < 1e-6 * c.std && Math.abs(g.std - c.std) < 1e-5 * c.std);
    }
    assert.deepEqual(await gpu.selectMagnitude(odd, 1000), await (await createBackend({ backend: 'cpu' })).backend.selectMagnitude(odd, 1000));
  });

  test('logs uncaptured WebGPU errors', async (t) => {
    const warned = new Promise<string>((res) => {
      void gpuOrSkip(t, { log: { info() {}, warn: res } }).then((gpu) => {
        if (!gpu) return res('skipped');
        // A buffer without usage is a validation error nobody captures.
        (gpu as WebGpuBackend).runtime.device.createBuffer({ size: 16, usage: 0, label: 'invalid on purpose' });
      });
    });
    const message = await warned;
    if (message !== 'skipped') assert.match(message, /WebGPU error/);
  });

  test('falls back to the CPU when the device is lost', async (t) => {
    const warnings: string[] = [];
    const gpu = (await gpuOrSkip(t, { maxChunkBytes: 1 << 16, log: { info() {}, warn: (m) => warnings.push(m) } })) as WebGpuBackend | undefined;
    if (!gpu) return;
    const x = f32(normal(200000, 3));
    const expected = summarizeStats(cpuStats(x));
    // Lose the device while a call is in flight: it finishes on the CPU, and so do later calls.
    const inFlight = gpu.stats(x);
    gpu.runtime.device.destroy();
    assert.deepEqual(summarizeStats(await inFlight).numel, expected.numel);
    await gpu.runtime.device.lost;
    assert.deepEqual(summarizeStats(await gpu.stats(x)), expected);
    assert.match(gpu.description, /device lost/);
    assert.ok(warnings.some((w) => /device lost/.test(w)), warnings.join('\n'));
    assert.ok(warnings.some((w) => /stats failed .* recomputing on the CPU/.test(w)), 'the call in flight was recomputed');
  });

  test('a process that used the GPU exits by itself, without dispose()', (t) => {
    const script = `
      const { createBackend } = require('./kernels/src/createBackend.ts');
      createBackend(${JSON.stringify(GPU_TEST_OPTIONS)}).then(async ({ backend }) => {
        const s = await backend.stats({ dtype: 'F32', data: new Float32Array(300000).fill(2) });
        console.log('numel=' + s.numel);
      }, (e) => console.log('no gpu: ' + e.message));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.error, undefined, 'the child ended before the timeout');
    assert.equal(r.status, 0, r.stderr);
    if (r.stdout.includes('no gpu')) {
      if (REQUIRE_ALL) assert.fail(r.stdout);
      return t.skip(r.stdout.trim());
    }
    assert.match(r.stdout, /numel=300000/);
  });
});

describe('GPU device nodes (auto skips the WebGPU probe without them)', () => {
  const fakeDev = (entries: Record<string, string[]>) => (dir: string) => entries[dir] ?? [];
  test('render nodes, NVIDIA nodes and /dev/dxg count; card nodes, controls and other devices do not', () => {
    assert.deepEqual(gpuDeviceNodes('linux', fakeDev({ '/dev': ['null', 'nvidiactl', 'nvidia-uvm', 'nvidia0', 'dri'], '/dev/dri': ['card0', 'renderD128', 'by-path'] })), ['/dev/dri/renderD128', '/dev/nvidia0']);
    assert.deepEqual(gpuDeviceNodes('linux', fakeDev({ '/dev': ['dxg', 'tty'] })), ['/dev/dxg']);
    assert.deepEqual(gpuDeviceNodes('linux', fakeDev({ '/dev': ['null', 'tty', 'nvidiactl'] })), []);
  });
  test('other systems are not asked this way', () => {
    assert.equal(gpuDeviceNodes('darwin', () => ['renderD128']), null);
    assert.equal(gpuDeviceNodes('win32', () => []), null);
  });
  test('auto on a machine without them names the reason', async (t) => {
    if (gpuDeviceNodes()?.length !== 0) return t.skip('this machine has GPU device nodes');
    const { backend, description } = await createBackend({ backend: 'auto' });
    await backend.dispose();
    assert.equal(backend.kind, 'cpu');
    assert.match(description, /auto: no hardware GPU adapter; no GPU device on this machine/);
  });
});
