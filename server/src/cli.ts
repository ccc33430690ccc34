// Entry point of the `ckpt-lens` binary (bundled to dist/cli.js).
import { main } from './cli/main.ts';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
