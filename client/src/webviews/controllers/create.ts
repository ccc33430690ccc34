// One controller class per view.
import type { PanelArgs, ViewKind } from '../../../../webview/src/protocol.ts';
import type { Controller, ControllerContext } from '../hostApi.ts';
import { HistogramsController } from './histograms.ts';
import { PruningController } from './pruning.ts';
import { ReportController } from './report.ts';
import { ZeroPointController } from './zeroPoint.ts';

const FACTORIES: { [V in ViewKind]: (ctx: ControllerContext<V>, args: PanelArgs[V]) => Controller<V> } = {
  report: (ctx, args) => new ReportController(ctx, args),
  histograms: (ctx, args) => new HistogramsController(ctx, args),
  zeroPoint: (ctx, args) => new ZeroPointController(ctx, args),
  pruning: (ctx, args) => new PruningController(ctx, args),
};

export function createController<V extends ViewKind>(view: V, ctx: ControllerContext<V>, args: PanelArgs[V]): Controller<V> {
  // TypeScript cannot narrow a mapped type by a generic key; the table above is checked per view.
  return (FACTORIES[view] as (ctx: ControllerContext<V>, args: PanelArgs[V]) => Controller<V>)(ctx, args);
}
