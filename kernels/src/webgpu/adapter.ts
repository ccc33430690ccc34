// Finding a WebGPU adapter through Dawn (the `webgpu` package).
//
// - A real GPU comes from Dawn's default backends (Vulkan on Linux, Metal, D3D12).
// - With no GPU, Mesa's llvmpipe comes from Dawn's OpenGL ES backend on a surfaceless EGL display,
//   in compatibility mode. It is a software rasterizer: slower than the CPU path, so only used when
//   WebGPU is asked for explicitly (tests do).
//
// The GPU objects that create() returns are kept in a module-level list for the life of the
// process: if one is garbage-collected while a device made from it is in use, Dawn's later async
// calls crash or hang. There are at most two (one per backend set), created on first use.

/** Dawn's native addon, loaded on first use: the CPU path never needs it, and a machine where it
 * cannot load still gets the CPU path. (A require, not import(), so it works the same from tsx,
 * tsc and the CommonJS bundle; Node >= 20.19 can require the package's ES module.) */
function dawn(): typeof import('webgpu') {
  return require('webgpu') as typeof import('webgpu');
}

export interface AdapterChoice {
  gpu: GPU;
  adapter: GPUAdapter;
  /** e.g. "NVIDIA H100 80GB HBM3 (nvidia, Vulkan/Metal/D3D12)" */
  name: string;
  software: boolean;
  featureLevel: 'core' | 'compatibility';
}

type BackendSet = 'default' | 'opengles';

const instances = new Map<BackendSet, GPU>();

function gpuFor(set: BackendSet): GPU {
  let gpu = instances.get(set);
  if (!gpu) {
    if (set === 'opengles') {
      // llvmpipe through EGL without a window system; respect a value the user chose.
      process.env.EGL_PLATFORM ??= 'surfaceless';
      gpu = dawn().create(['backend=opengles']);
    } else gpu = dawn().create([]);
    instances.set(set, gpu);
  }
  return gpu;
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software rasterizer|microsoft basic render/i;

export function describeAdapter(adapter: GPUAdapter, set: BackendSet): { name: string; software: boolean } {
  const i = adapter.info;
  const words = [i.vendor, i.architecture, i.device, i.description].filter((s) => s && s.length > 0);
  const software = i.isFallbackAdapter || words.some((w) => SOFTWARE.test(w));
  const label = i.device || i.description || 'unknown adapter';
  const details = [i.vendor, set === 'opengles' ? 'OpenGL ES' : 'Vulkan/Metal/D3D12', i.description !== label ? i.description : '']
    .filter((s) => s && s.length > 0)
    .join(', ');
  return { name: `${label} (${details})`, software };
}

/**
 * The best adapter allowed: a hardware one from the default backends; with `allowSoftware`, else a
 * software one (default backends first, then llvmpipe on OpenGL ES). `notes` says what was tried.
 */
export async function chooseAdapter(allowSoftware: boolean): Promise<{ choice: AdapterChoice | null; notes: string[] }> {
  const notes: string[] = [];
  let softwareFallback: AdapterChoice | null = null;
  try {
    const gpu = gpuFor('default');
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter) {
      const d = describeAdapter(adapter, 'default');
      const choice: AdapterChoice = { gpu, adapter, ...d, featureLevel: 'core' };
      if (!d.software) return { choice, notes };
      notes.push(`the default backends offer only a software adapter, ${d.name}`);
      softwareFallback = choice;
    } else notes.push('no adapter from the default backends (Vulkan/Metal/D3D12)');
  } catch (e) {
    notes.push(`the default backends failed: ${(e as Error).message}`);
  }
  if (!allowSoftware) return { choice: null, notes };
  if (softwareFallback) return { choice: softwareFallback, notes };
  try {
    const gpu = gpuFor('opengles');
    const adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' });
    if (adapter) {
      const d = describeAdapter(adapter, 'opengles');
      return { choice: { gpu, adapter, ...d, featureLevel: 'compatibility' }, notes };
    }
    notes.push('no adapter from OpenGL ES (EGL surfaceless) either');
  } catch (e) {
    notes.push(`the OpenGL ES backend failed: ${(e as Error).message}`);
  }
  return { choice: null, notes };
}
