// Preloaded into a benchmark child: prints its peak RSS and run time when it exits.
const started = process.hrtime.bigint();
process.on('exit', () => {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stderr.write(`peak-rss-kb ${process.resourceUsage().maxRSS} seconds ${seconds}\n`);
});
