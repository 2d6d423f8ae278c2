// The bench's PNG chart: Heroku requests per hour and lead time against the number of pipelines, one
// line per contender. Chart.js draws on @napi-rs/canvas (Skia, shipped as a prebuilt npm package), so
// it renders in Node without a browser or a native build.
import { writeFileSync } from 'node:fs';
import { createCanvas } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration } from 'chart.js/auto';

export interface ChartSeries {
  label: string;
  /** [pipelines, value]; a missing value is left out of the line. */
  points: [number, number | null][];
}

export interface ChartInput {
  title: string;
  requestsPerHour: ChartSeries[];
  leadTimeS: ChartSeries[];
  /** One line under the title: sizes, compression, machine. */
  note: string;
}

const COLOURS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e'];

function panel(title: string, yTitle: string, series: ChartSeries[], logY: boolean): ChartConfiguration<'line'> {
  return {
    type: 'line',
    data: {
      datasets: series.map((s, i) => ({
        label: s.label,
        data: s.points.filter(([, y]) => y !== null && (!logY || y > 0)).map(([x, y]) => ({ x, y: y! })),
        borderColor: COLOURS[i % COLOURS.length],
        backgroundColor: COLOURS[i % COLOURS.length],
        borderWidth: 2,
        pointRadius: 4,
      })),
    },
    options: {
      responsive: false,
      animation: false,
      plugins: { title: { display: true, text: title, font: { size: 15 } }, legend: { position: 'bottom' } },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'pipelines (12 stages each)' } },
        y: { type: logY ? 'logarithmic' : 'linear', title: { display: true, text: yTitle }, beginAtZero: !logY },
      },
    },
  };
}

/** Draws both panels side by side into one PNG at `path`; answers its size in bytes. */
export async function writeChart(path: string, input: ChartInput): Promise<number> {
  const [width, height] = [1400, 620];
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#222222';
  ctx.font = 'bold 18px sans-serif';
  ctx.fillText(input.title, 20, 30);
  ctx.font = '13px sans-serif';
  ctx.fillText(input.note, 20, 52);
  const half = width / 2;
  const panels = [
    panel('Heroku requests per hour (all pipelines, idle)', 'requests / hour', input.requestsPerHour, false),
    panel('Lead time: merge to the 12th stage, minus the soaks', 'seconds', input.leadTimeS, false),
  ];
  for (const [i, config] of panels.entries()) {
    const part = createCanvas(half - 20, height - 80);
    // Chart.js takes any 2D context; in Node it uses its basic platform (no DOM, no resize observer).
    const chart = new Chart(part.getContext('2d'), config);
    chart.draw();
    ctx.drawImage(part, i * half + 10, 70);
    chart.destroy();
  }
  const png = await canvas.encode('png');
  writeFileSync(path, png);
  return png.length;
}
