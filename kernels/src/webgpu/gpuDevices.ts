// Whether this machine can have a hardware GPU at all, asked of /dev before Dawn is loaded. On a Linux
// machine without a GPU, Dawn's Vulkan probe finds only Mesa's lavapipe and prints its loader's
// complaints to stderr (every CLI run would start with them); `auto` never takes a software
// adapter, so it need not probe there. Other systems are always probed.
import { readdirSync } from 'node:fs';

/** GPU device nodes: DRM render nodes (AMD, Intel, NVIDIA open), NVIDIA's own nodes, WSL2's /dev/dxg. */
const GPU_NODE = /^(renderD\d+|nvidia\d+|dxg)$/;

/**
 * The GPU device nodes found, or null where the question cannot be answered this way (not Linux).
 * `list` reads a directory's entries (injectable for tests); a missing directory has none.
 */
export function gpuDeviceNodes(platform: NodeJS.Platform = process.platform, list: (dir: string) => string[] = safeList): string[] | null {
  if (platform !== 'linux') return null;
  const found = [...list('/dev').filter((n) => GPU_NODE.test(n)).map((n) => `/dev/${n}`), ...list('/dev/dri').filter((n) => GPU_NODE.test(n)).map((n) => `/dev/dri/${n}`)];
  return found.sort();
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
