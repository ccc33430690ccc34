// One controller class per view.
import type { PanelArgs, ViewKind } from '../../../../webview/src/protocol.ts';
import type { Controller, ControllerContext, PanelSeeds } from '../hostApi.ts';
import { CompressionController } from './compression.ts';
import { HistogramsController } from './histograms.ts';
import { OutliersController } from './outliers.ts';
import { PruningController } from './pruning.ts';
import { ReportController } from './report.ts';
import { ZeroPointController } from './zeroPoint.ts';

type Factory<V extends ViewKind> = (ctx: ControllerContext<V>, args: PanelArgs[V], seed: PanelSeeds[V] | undefined) => Controller<V>;

const FACTORIES: { [V in ViewKind]: Factory<V> } = {
  report: (ctx, args) => new ReportController(ctx, args),
  histograms: (ctx, args) => new HistogramsController(ctx, args),
  zeroPoint: (ctx, args) => new ZeroPointController(ctx, args),
  pruning: (ctx, args) => new PruningController(ctx, args),
  outliers: (ctx, args) => new OutliersController(ctx, args),
  compression: (ctx, args, seed) => new CompressionController(ctx, args, seed),
};

export function createController<V extends ViewKind>(view: V, ctx: ControllerContext<V>, args: PanelArgs[V], seed?: PanelSeeds[V]): Controller<V> {
  // TypeScript cannot narrow a mapped type by a generic key; the table above is checked per view.
  return (FACTORIES[view] as Factory<V>)(ctx, args, seed);
}
