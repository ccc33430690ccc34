// The machine a benchmark ran on, printed with every figure.
import { cpus, totalmem, platform, release } from 'node:os';

export function machineDescription(): string {
  const c = cpus();
  return `${c[0]?.model ?? 'unknown CPU'} x${c.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${platform()} ${release()}, node ${process.version}`;
}
