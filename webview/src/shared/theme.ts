// Chart colours from VS Code's theme variables, so plots follow light, dark and high-contrast
// themes. VS Code sets the variables on <html> and the theme kind as a class on <body>
// (vscode-light, vscode-dark, vscode-high-contrast, vscode-high-contrast-light).

export interface ChartTheme {
  foreground: string;
  muted: string;
  grid: string;
  font: string;
  fontSize: number;
  /** trace colours, in order */
  palette: string[];
  highContrast: boolean;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export function chartTheme(): ChartTheme {
  const light = document.body.classList.contains('vscode-light') || document.body.classList.contains('vscode-high-contrast-light');
  const highContrast = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
  const fg = light ? '#333333' : '#cccccc';
  return {
    foreground: cssVar('--vscode-foreground', fg),
    muted: cssVar('--vscode-descriptionForeground', light ? '#717171' : '#9d9d9d'),
    grid: highContrast ? cssVar('--vscode-contrastBorder', fg) : cssVar('--vscode-editorWidget-border', light ? '#c8c8c8' : '#454545'),
    font: cssVar('--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: Number.parseFloat(cssVar('--vscode-font-size', '13')) || 13,
    palette: [
      cssVar('--vscode-charts-blue', '#3794ff'),
      cssVar('--vscode-charts-orange', '#d18616'),
      cssVar('--vscode-charts-green', '#89d185'),
      cssVar('--vscode-charts-red', '#f14c4c'),
      cssVar('--vscode-charts-purple', '#b180d7'),
      cssVar('--vscode-charts-yellow', '#cca700'),
      cssVar('--vscode-charts-foreground', fg),
    ],
    highContrast,
  };
}

/** Calls `fn` when the theme changes (VS Code swaps the body class and the variables together). */
export function onThemeChange(fn: () => void): void {
  new MutationObserver(fn).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}
