// What the status bar item says: the active checkpoint and the compute backend (the WebGPU adapter's
// name, or CPU), or the server's state while it is not running. Pure, from the server's notifications.
import type { BackendInfo, CheckpointList } from '../../../server/src/protocol.ts';
import type { ServerState } from '../lsp/serverApi.ts';
import { checkpointName } from '../commands/checkpointPicks.ts';

export interface StatusState {
  server: ServerState;
  list: CheckpointList | null;
  backend: BackendInfo | null;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** shown with the warning background */
  warning: boolean;
}

/** `WebGPU: NVIDIA H100 80GB HBM3` from "WebGPU on NVIDIA H100 80GB HBM3 (nvidia, Vulkan/Metal/D3D12) (auto: …)"; `CPU`. */
export function backendLabel(info: BackendInfo | null): string {
  if (!info) return 'backend…';
  if (info.kind === 'cpu') return 'CPU';
  // The GPU runtime falls back to the CPU kernels when the device is lost.
  if (/device lost/.test(info.description)) return 'CPU (WebGPU device lost)';
  const adapter = /^WebGPU on (.+?)(?: \(| \[|$)/.exec(info.description)?.[1]?.trim();
  return adapter ? `WebGPU: ${adapter}` : 'WebGPU';
}

function activeText(list: CheckpointList | null): { text: string; tooltip: string } {
  if (!list) return { text: '…', tooltip: 'Indexing the workspace…' };
  if (list.checkpoints.length === 0) return { text: 'no checkpoints', tooltip: 'No checkpoints in the workspace (.safetensors, checkpoint-N/ folders, .ckpz archives)' };
  if (list.active === null) return { text: 'no active checkpoint', tooltip: 'No active checkpoint: hovers cover every checkpoint that has the tensor' };
  const how = list.selection === 'auto' ? 'the newest, followed automatically' : 'chosen';
  return { text: checkpointName(list.active), tooltip: `Active checkpoint (${how}): ${list.active}` };
}

export function statusView(s: StatusState): StatusView {
  if (s.server === 'starting') return { text: '$(sync~spin) Checkpoint Lens', tooltip: 'Checkpoint Lens: starting the language server…', warning: false };
  if (s.server === 'stopped') return { text: '$(error) Checkpoint Lens: server stopped', tooltip: 'The Checkpoint Lens language server is not running. Run "Checkpoint Lens: Restart Language Server".', warning: true };
  const active = activeText(s.list);
  const backend = backendLabel(s.backend);
  return {
    text: `$(layers) ${active.text} · $(chip) ${backend}`,
    tooltip: [active.tooltip, `Compute backend: ${s.backend?.description ?? 'not opened yet'}`, 'Click to select the active checkpoint'].join('\n'),
    warning: false,
  };
}
