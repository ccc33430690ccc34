// The plan's model totals: sparsity reached, parameters kept, relative error, and what the bytes
// really are (unstructured sparsity does not shrink a dense file; structured zeroing neither).
import type { PlanView } from '../protocol.ts';
import { h, replace } from '../shared/dom.ts';
import { formatBytes, formatCount, formatNumber, formatPercent } from '../shared/format.ts';

export class Totals {
  private readonly list = h('dl', { class: 'totals' });
  private readonly messages = h('ul', { class: 'note', testid: 'pruning-messages' });
  private readonly bytesNote = h('p', { class: 'note', testid: 'pruning-bytes-note' });
  readonly element = h('section', { class: 'card', testid: 'pruning-totals', attrs: { 'aria-live': 'polite' } }, h('h2', {}, 'Model totals'), this.list, this.bytesNote, this.messages);

  show(p: PlanView): void {
    const item = (label: string, testid: string, value: string) => [h('dt', {}, label), h('dd', { testid }, value)];
    replace(
      this.list,
      ...item(p.structured ? 'Grouped params removed' : 'Sparsity', 'pruning-total-sparsity', `${formatPercent(p.achievedSparsity, 2)} (target ${formatPercent(p.target, 1)}${p.feasible ? '' : ', not reached'})`),
      ...item('Parameters kept', 'pruning-total-kept', `${formatCount(p.paramsAfter)} of ${formatCount(p.paramsBefore)} (${formatCount(p.removed)} removed)`),
      ...item('Relative error', 'pruning-total-relerr', `${formatNumber(p.relErrTotal)}${p.lowerBoundRelErr === null ? '' : ` (lower bound ${formatNumber(p.lowerBoundRelErr)})`}`),
      ...item('Bytes', 'pruning-total-bytes', p.denseBytes === null || p.sparseBitmaskBytes === null ? 'unchanged (zeroed in place)' : `${formatBytes(p.denseBytes)} dense · ${formatBytes(p.sparseBitmaskBytes)} stored sparse with a bitmask`),
      ...item('Scope', 'pruning-total-scope', p.scope),
    );
    this.bytesNote.textContent = p.bytesNote;
    replace(this.messages, ...p.messages.map((m) => h('li', {}, m)));
  }
}
