// A progress bar on stderr for long work, drawn only on a terminal (logs stay clean).
export function progressBar(label: string): { update(done: number, total: number, item: string): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  let last = -1;
  return {
    update(done, total, item) {
      if (!tty || total <= 0) return;
      const pct = Math.floor((100 * done) / total);
      if (pct === last && item === '') return;
      last = pct;
      const width = 30;
      const filled = Math.round((width * done) / total);
      const name = item.length > 48 ? `…${item.slice(-47)}` : item;
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${name}`.padEnd(110));
    },
    done() {
      if (tty) process.stderr.write(`\r${' '.repeat(110)}\r`);
    },
  };
}
