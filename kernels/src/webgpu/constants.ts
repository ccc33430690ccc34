// WebGPU's numeric flags, as fixed by the specification. Defined here rather than taken from
// `globals` of the webgpu package, so loading the kernels does not add GPU* names to globalThis.
export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

export const MapMode = { READ: 0x0001, WRITE: 0x0002 } as const;
