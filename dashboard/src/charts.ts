/// <reference lib="dom" />
// The line above lets the root tsconfig (Node libs only) type-check this browser module too.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';

// only what the bar charts use, so the bundle stays small (Chart.js is tree-shakeable)
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export const palette = {
  placed: '#3b6fd8',
  confirmed: '#1f9d6a',
  cancelled: '#d64545',
  revenue: '#6a4fd0',
  refunds: '#e0902b',
} as const;

export interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: readonly number[];
}

export type BarChart = Chart<'bar', number[], string>;

const cssVar = (name: string, fallback: string): string =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

/** A bar chart sized by its container (the container sets the height), without animations: data moves live. */
export const barChart = (canvas: HTMLCanvasElement, formatValue: (value: number) => string): BarChart => {
  const text = cssVar('--muted', '#5b6472');
  const grid = cssVar('--grid', '#e6e9ef');
  return new Chart(canvas, {
    type: 'bar',
    data: { labels: [], datasets: [] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { position: 'bottom', labels: { color: text, boxWidth: 12, boxHeight: 12 } },
        tooltip: {
          callbacks: { label: (item) => `${item.dataset.label ?? ''}: ${formatValue(Number(item.raw))}` },
        },
      },
      scales: {
        x: { ticks: { color: text, maxRotation: 0, autoSkipPadding: 8 }, grid: { display: false } },
        y: {
          beginAtZero: true,
          ticks: { color: text, precision: 0, callback: (value) => formatValue(Number(value)) },
          grid: { color: grid },
        },
      },
    },
  });
};

export const showSeries = (chart: BarChart, labels: readonly string[], series: readonly Series[]): void => {
  chart.data.labels = [...labels];
  chart.data.datasets = series.map((s) => ({
    label: s.label,
    data: [...s.values],
    backgroundColor: s.color,
    borderRadius: 3,
    maxBarThickness: 28,
  }));
  chart.update('none');
};
