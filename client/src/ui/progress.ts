// LSP reports absolute percentages; VS Code's progress notification takes increments. One tracker per
// progress notification turns the one into the other (never backwards: a restarted phase does not
// shrink the bar).

export interface ProgressStep {
  message?: string;
  /** how much to add to the bar, in percent */
  increment?: number;
}

export function percentageTracker(): (p: { message?: string; percentage?: number }) => ProgressStep {
  let shown = 0;
  return ({ message, percentage }) => {
    const step: ProgressStep = {};
    if (message !== undefined) step.message = message;
    if (percentage !== undefined && Number.isFinite(percentage)) {
      const target = Math.min(100, Math.max(0, percentage));
      if (target > shown) {
        step.increment = target - shown;
        shown = target;
      }
    }
    return step;
  };
}
