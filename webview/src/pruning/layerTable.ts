// The pruning explorer's per-layer rows: a slider per layer that fixes its ratio (an override),
// the planned ratio, kept parameters and error; "auto" hands the layer back to the plan. A structured
// plan has no per-layer overrides (its groups compete across blocks): its rows say which groups go.
import type { PlanView } from '../protocol.ts';
import { h, replace } from '../shared/dom.ts';
import { formatCount, formatNumber, formatPercent } from '../shared/format.ts';

interface Row {
  slider: HTMLInputElement;
  ratio: HTMLElement;
  kept: HTMLElement;
  relErr: HTMLElement;
  groups: HTMLElement;
  release: HTMLElement;
}

export class LayerTable {
  readonly element: HTMLTableElement;
  private readonly head = h('thead');
  private readonly body = h('tbody');
  private readonly rows = new Map<string, Row>();
  private layerKey = '';

  constructor(
    private readonly onOverride: (layer: string, ratio: number) => void,
    private readonly onRelease: (layer: string) => void,
  ) {
    this.element = h('table', { class: 'data', testid: 'pruning-layers' }, this.head, this.body);
  }

  show(plan: PlanView): void {
    const key = `${plan.structured}\n${plan.layers.join('\n')}`;
    if (key !== this.layerKey) this.build(plan, key);
    plan.layers.forEach((layer, i) => {
      const row = this.rows.get(layer)!;
      const fixed = plan.fixed[i] === 1;
      // A slider the user is dragging keeps its position; the others follow the plan.
      if (document.activeElement !== row.slider) row.slider.value = String(Math.round(plan.ratio[i]! * 100));
      row.ratio.textContent = formatPercent(plan.ratio[i]!);
      row.ratio.classList.toggle('fixed', fixed);
      row.kept.textContent = formatCount(plan.kept[i]!);
      row.relErr.textContent = formatNumber(plan.relErr[i]!);
      row.groups.textContent = plan.groups?.[i] ?? '';
      row.release.hidden = !fixed;
    });
  }

  private build(plan: PlanView, key: string): void {
    this.layerKey = key;
    this.rows.clear();
    const columns = ['Layer', 'Params', plan.structured ? 'Ratio' : 'Ratio (drag to fix)', 'Removed', 'Kept', 'Rel. error', plan.structured ? 'Groups removed' : ''];
    replace(this.head, h('tr', {}, ...columns.map((c, i) => h('th', { class: i === 6 ? 'text' : '' }, c))));
    replace(
      this.body,
      ...plan.layers.map((layer, i) => {
        const slider = h('input', { testid: 'pruning-layer-slider', attrs: { type: 'range', min: '0', max: '100', step: '1', 'aria-label': `ratio of ${layer}` } });
        slider.dataset.layer = layer;
        slider.disabled = plan.structured;
        slider.addEventListener('input', () => this.onOverride(layer, Number(slider.value) / 100));
        const release = h('vscode-button', { attrs: { secondary: '' }, title: 'let the plan choose this ratio again' }, 'auto');
        release.addEventListener('click', () => this.onRelease(layer));
        const groups = h('span', { testid: 'pruning-layer-groups' });
        const row: Row = { slider, ratio: h('span'), kept: h('td'), relErr: h('td'), groups, release };
        this.rows.set(layer, row);
        const last = plan.structured ? h('td', { class: 'text' }, groups) : h('td', {}, release);
        const tr = h('tr', {}, h('td', {}, layer), h('td', {}, formatCount(plan.params[i]!)), h('td', {}, slider), h('td', {}, row.ratio), row.kept, row.relErr, last);
        tr.dataset.layer = layer;
        return tr;
      }),
    );
  }
}
