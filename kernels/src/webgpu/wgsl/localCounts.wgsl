// Snippet for kernels that count into workgroup memory (`// uses: localCounts`): histogram.wgsl,
// radix.wgsl. Each workgroup counts its tile into local_counts, then adds its nonzero counters to
// the global ones: two barriers per tile, no per-element global atomics. The kernel declares the
// global counters as `counts: array<atomic<u32>>`.

// Counters a workgroup keeps (set per pipeline, within the device's workgroup storage limit).
override LOCAL_CAP: u32 = 4096u;

var<workgroup> local_counts: array<atomic<u32>, LOCAL_CAP>;

// Zeroes the first `bins` local counters. Every thread of the workgroup calls it.
fn clear_local_counts(bins: u32, lid: u32) {
  for (var i = lid; i < bins; i += WG) {
    atomicStore(&local_counts[i], 0u);
  }
  workgroupBarrier();
}

// Adds the first `bins` local counters to `counts`. Every thread of the workgroup calls it.
fn flush_local_counts(bins: u32, lid: u32) {
  workgroupBarrier();
  for (var i = lid; i < bins; i += WG) {
    let c = atomicLoad(&local_counts[i]);
    if (c != 0u) {
      atomicAdd(&counts[i], c);
    }
  }
}
