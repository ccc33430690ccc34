// Every command of the extension, in one table: its id, its title in the palette (category
// "Checkpoint Lens", package.json repeats both and a test keeps them equal), whether it needs the
// language server, and what it runs. register.ts turns the table into VS Code commands.
import { HoverCommand } from '../../../server/src/protocol.ts';
import { compareCheckpoints } from './compare.ts';
import { compressCheckpoint } from './compress.ts';
import type { CommandContext } from './context.ts';
import { openPruningExplorer, openReport, showHistograms, showOutliers, showZeroPoint } from './panels.ts';
import { restoreCheckpoint } from './restore.ts';
import { selectActiveCheckpoint } from './select.ts';
import { verifyArchive } from './verify.ts';

export const CATEGORY = 'Checkpoint Lens';

export interface CommandSpec {
  id: string;
  title: string;
  /** true: waits for the server to be up, and says so instead of running when it is down */
  needsServer: boolean;
  run(ctx: CommandContext, ...args: unknown[]): Promise<void>;
}

export const COMMANDS: readonly CommandSpec[] = [
  { id: 'checkpointLens.compress', title: 'Compress Checkpoint…', needsServer: true, run: compressCheckpoint },
  { id: 'checkpointLens.restore', title: 'Restore Checkpoint…', needsServer: true, run: restoreCheckpoint },
  { id: 'checkpointLens.verify', title: 'Verify Archive', needsServer: true, run: verifyArchive },
  { id: HoverCommand.openReport, title: 'Open Checkpoint Report', needsServer: true, run: openReport },
  { id: HoverCommand.showHistogram, title: 'Show Moment Histograms', needsServer: true, run: showHistograms },
  { id: HoverCommand.showZeroPoint, title: 'Show Zero-Point Effect', needsServer: true, run: showZeroPoint },
  { id: 'checkpointLens.showOutliers', title: 'Show Outliers', needsServer: true, run: showOutliers },
  { id: 'checkpointLens.openPruningExplorer', title: 'Open Pruning Explorer', needsServer: true, run: openPruningExplorer },
  { id: 'checkpointLens.selectCheckpoint', title: 'Select Active Checkpoint', needsServer: true, run: selectActiveCheckpoint },
  { id: 'checkpointLens.compare', title: 'Compare Checkpoints', needsServer: true, run: compareCheckpoints },
  { id: 'checkpointLens.restartServer', title: 'Restart Language Server', needsServer: false, run: (ctx) => ctx.server.restart() },
];

/** The status bar item runs this. */
export const STATUS_BAR_COMMAND = 'checkpointLens.selectCheckpoint';
