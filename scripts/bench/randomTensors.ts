// Pseudo-random tensor bytes for benchmarks, generated chunk by chunk (memory stays bounded): normal
// values (a sum of four uniforms, close enough and fast), their squares (a second moment), or a base
// tensor plus a small update (the next checkpoint of a run), in F32 or BF16.

export interface RandomSpec {
  seed: number;
  std: number;
  /** square each value (a non-negative second moment) */
  squared?: boolean;
  /** add a second stream with this std on top (same seed + 1e6): a checkpoint a few steps later */
  update?: { std: number; seed: number };
}

const CHUNK = 1 << 22;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function normalish(next: () => number): number {
  return (next() + next() + next() + next() - 2) * 1.732;
}

export function* randomChunks(numel: number, dtype: 'F32' | 'BF16', spec: RandomSpec): Generator<Uint8Array> {
  const base = lcg(spec.seed);
  const upd = spec.update ? lcg(spec.update.seed) : undefined;
  const f = new Float32Array(CHUNK);
  for (let done = 0; done < numel; done += CHUNK) {
    const n = Math.min(CHUNK, numel - done);
    for (let i = 0; i < n; i++) {
      let x = normalish(base) * spec.std;
      if (spec.squared) x *= x;
      if (upd) x += normalish(upd) * spec.update!.std;
      f[i] = x;
    }
    if (dtype === 'F32') {
      yield new Uint8Array(f.buffer.slice(0, 4 * n));
      continue;
    }
    const bits = new Uint32Array(f.buffer, 0, n);
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) out[i] = bits[i]! >>> 16;
    yield new Uint8Array(out.buffer);
  }
}
