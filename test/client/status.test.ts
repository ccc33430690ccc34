// The status bar's text, the explorer's context keys, the crash-restart rule and progress increments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackendInfo } from '../../server/src/protocol.ts';
import { CrashPolicy } from '../../client/src/lsp/crashPolicy.ts';
import { explorerContext } from '../../client/src/status/explorerContext.ts';
import { backendLabel, statusView } from '../../client/src/status/statusView.ts';
import { percentageTracker } from '../../client/src/ui/progress.ts';
import { BF16_RUN, CK100, CK200, CK300, RUN, sampleList, WS } from './sampleList.ts';

const h100: BackendInfo = { choice: 'auto', kind: 'webgpu', description: 'WebGPU on NVIDIA H100 80GB HBM3 (nvidia, Vulkan/Metal/D3D12) (auto: hardware adapter found)' };
const cpu: BackendInfo = { choice: 'auto', kind: 'cpu', description: 'CPU (TypeScript, float64 accumulation, 2 threads) (auto: no hardware GPU adapter; …)' };

test('the backend reads as the WebGPU adapter name or CPU', () => {
  assert.equal(backendLabel(h100), 'WebGPU: NVIDIA H100 80GB HBM3');
  assert.equal(backendLabel(cpu), 'CPU');
  assert.equal(backendLabel({ choice: 'webgpu', kind: 'webgpu', description: 'WebGPU on llvmpipe (LLVM 15.0.6, 256 bits) (OpenGL ES) [software] (backend "webgpu" was asked for; …)' }), 'WebGPU: llvmpipe');
  assert.equal(backendLabel({ choice: 'auto', kind: 'webgpu', description: 'WebGPU on NVIDIA H100 (nvidia), device lost (destroyed): running on the CPU (auto: …)' }), 'CPU (WebGPU device lost)');
  assert.equal(backendLabel(null), 'backend…');
});

test('the status bar shows the active checkpoint and the backend, or the server state', () => {
  const running = statusView({ server: 'running', list: sampleList({ active: CK200, selection: 'user' }), backend: h100 });
  assert.equal(running.text, '$(layers) checkpoint-200 · $(chip) WebGPU: NVIDIA H100 80GB HBM3');
  assert.match(running.tooltip, /Active checkpoint \(chosen\): \/ws\/tiny-llama\/checkpoint-200/);
  assert.match(running.tooltip, /Compute backend: WebGPU on NVIDIA H100/);
  assert.equal(running.warning, false);
  assert.match(statusView({ server: 'running', list: sampleList(), backend: cpu }).tooltip, /the newest, followed automatically/);
  assert.equal(statusView({ server: 'running', list: sampleList({ active: null, selection: 'none' }), backend: cpu }).text, '$(layers) no active checkpoint · $(chip) CPU');
  assert.equal(statusView({ server: 'running', list: { checkpoints: [], active: null, selection: 'auto' }, backend: null }).text, '$(layers) no checkpoints · $(chip) backend…');
  assert.equal(statusView({ server: 'running', list: sampleList({ active: `${WS}/export/model.safetensors` }), backend: cpu }).text, '$(layers) export · $(chip) CPU');
  const stopped = statusView({ server: 'stopped', list: sampleList(), backend: cpu });
  assert.equal(stopped.warning, true);
  assert.match(stopped.text, /server stopped/);
  assert.match(statusView({ server: 'starting', list: null, backend: null }).text, /sync~spin/);
});

test('explorer context keys list checkpoint folders and run folders, not files or archives', () => {
  const keys = explorerContext(sampleList());
  assert.deepEqual(keys['checkpointLens.checkpointFolders'], [CK100, CK200, CK300, `${BF16_RUN}/checkpoint-200`].sort());
  assert.deepEqual(keys['checkpointLens.runFolders'], [RUN, BF16_RUN].sort());
  const sharded = explorerContext({ checkpoints: [{ ...sampleList().checkpoints[0]!, path: `${WS}/big/model.safetensors.index.json`, kind: 'safetensors-sharded', run: null }], active: null, selection: 'auto' });
  assert.deepEqual(sharded['checkpointLens.checkpointFolders'], [`${WS}/big`]);
});

test('a crashing server is restarted four times in three minutes, then left down until restarted by hand', () => {
  const p = new CrashPolicy(4, 180_000);
  const t0 = 1_000_000;
  for (let i = 0; i < 4; i++) {
    const d = p.onCrash(t0 + i * 10_000);
    assert.equal(d.restart, true);
    assert.match(d.message, new RegExp(`restarting \\(${i + 1} of 4 restarts in 3 minutes\\)`));
  }
  const fifth = p.onCrash(t0 + 50_000);
  assert.equal(fifth.restart, false);
  assert.match(fifth.message, /5 times in 3 minutes and will not be restarted/);
  // Old crashes leave the window.
  assert.equal(p.onCrash(t0 + 50_000 + 180_001).restart, true);
  p.reset();
  for (let i = 0; i < 4; i++) assert.equal(p.onCrash(t0 + 400_000 + i).restart, true);
});

test('absolute progress percentages become increments that never go backwards', () => {
  const step = percentageTracker();
  assert.deepEqual(step({ message: 'begin' }), { message: 'begin' });
  assert.deepEqual(step({ percentage: 10, message: 'checkpoint-200: weights' }), { increment: 10, message: 'checkpoint-200: weights' });
  assert.deepEqual(step({ percentage: 35 }), { increment: 25 });
  assert.deepEqual(step({ percentage: 20 }), {});
  assert.deepEqual(step({ percentage: 140 }), { increment: 65 });
  assert.deepEqual(step({ percentage: Number.NaN }), {});
});
