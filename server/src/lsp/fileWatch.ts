// Keeping the index fresh. Clients that can watch files for us (dynamic registration of
// workspace/didChangeWatchedFiles, as VS Code and Neovim 0.10 do) get our glob patterns; otherwise the
// server watches the workspace folders itself (fs.watch, recursive). Bursts of changes (a Trainer
// writing a checkpoint) are folded into one re-index after a short quiet period.
import { watch, type FSWatcher } from 'node:fs';
import { DidChangeWatchedFilesNotification, type Connection } from 'vscode-languageserver';

/** Files and directories whose change can add, remove or alter a checkpoint. */
export const WATCH_GLOBS = [
  '**/*.safetensors',
  '**/*.safetensors.index.json',
  '**/*.ckpz',
  '**/optimizer.pt',
  '**/trainer_state.json',
  '**/pytorch_model.bin',
  '**/checkpoint-*',
];

// Checkpoint files, and names without an extension: a new directory's files may be written before the
// recursive watcher reaches into it, so its own creation must trigger the re-index.
const RELEVANT = /(\.safetensors|\.safetensors\.index\.json|\.ckpz|optimizer\.pt|trainer_state\.json|pytorch_model\.bin)$|(^|[\\/])[^.\\/]+$/;
const QUIET_MS = 250;

export class FileWatch {
  private timer: NodeJS.Timeout | null = null;
  private watchers: FSWatcher[] = [];

  constructor(
    private readonly onChange: () => void,
    private readonly log: (message: string) => void,
  ) {}

  /** Something changed: re-index after the quiet period. */
  poke(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.onChange();
    }, QUIET_MS);
  }

  async start(connection: Connection, clientWatches: boolean, roots: readonly string[]): Promise<void> {
    if (clientWatches) {
      try {
        await connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: WATCH_GLOBS.map((globPattern) => ({ globPattern })) });
        return;
      } catch (e) {
        this.log(`file watching: the client refused the registration (${(e as Error).message}); watching from the server`);
      }
    }
    this.watchRoots(roots);
  }

  watchRoots(roots: readonly string[]): void {
    this.stopWatchers();
    for (const root of roots) {
      try {
        const w = watch(root, { recursive: true, persistent: false }, (_event, file) => {
          if (file === null || RELEVANT.test(String(file))) this.poke();
        });
        w.on('error', (e) => this.log(`file watching of ${root} stopped: ${e.message}`));
        this.watchers.push(w);
      } catch (e) {
        this.log(`cannot watch ${root}: ${(e as Error).message}; the checkpoint list refreshes only on request`);
      }
    }
  }

  private stopWatchers(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.stopWatchers();
  }
}
