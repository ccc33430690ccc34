// How the language server process is started: the bundled dist/server.js over Node IPC; in debug mode
// (the extension host launched from .vscode/launch.json) with the inspector on the port the
// "Attach to Server" configuration connects to. Pure data, so the port is checked against launch.json.
import { join } from 'node:path';

/** The server bundle, relative to the extension's root. */
export const SERVER_BUNDLE = join('dist', 'server.js');

/** .vscode/launch.json's "Attach to Server" port. */
export const SERVER_DEBUG_PORT = 6009;

export interface ServerLaunch {
  module: string;
  execArgv: string[];
}

export function serverLaunch(extensionRoot: string): { run: ServerLaunch; debug: ServerLaunch } {
  const module = join(extensionRoot, SERVER_BUNDLE);
  return {
    run: { module, execArgv: [] },
    // --nolazy: breakpoints in code that has not run yet bind at once.
    debug: { module, execArgv: ['--nolazy', `--inspect=${SERVER_DEBUG_PORT}`] },
  };
}
