// Public surface of the safetensors format: readers (single file, checkpoint) and writers.
export { openSafetensors, type SafetensorsFile } from './reader.ts';
export { openSafetensorsCheckpoint, type SafetensorsCheckpoint } from './sharded.ts';
export { writeSafetensors, type SafetensorsEntry, type SafetensorsTensorSpec, type TensorBytes, type WriteSafetensorsOptions, type WrittenSafetensors } from './writer.ts';
export { writeShardedSafetensors, type WriteShardedOptions, type WrittenShardedSafetensors } from './shardedWriter.ts';
export { MAX_HEADER_BYTES } from './header.ts';
