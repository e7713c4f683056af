import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

/**
 * The value axis's width: its widest label in the axis's font, with the ticks and their gap. A fixed width clipped
 * the start of long labels ("HUF 20,000.00" showed as ":0,000.00").
 */
const labelRoom: uPlot.Axis.Size = (u, values, axisIdx, cycle) => {
  const axis = u.axes[axisIdx]!;
  // uPlot sizes the axes in a few passes: once the labels settle, keep the size it chose
  if (cycle > 1) return (axis as { _size?: number })._size ?? 50;
  const widest = (values ?? []).reduce((a, v) => (v.length > a.length ? v : a), '');
  // uPlot keeps the axis font as [css font, size] once it has drawn
  const font = (axis.font as unknown as [string] | string | undefined);
  u.ctx.font = Array.isArray(font) ? font[0] : (font ?? '12px system-ui');
  const ticks = (axis.ticks as { size?: number } | undefined)?.size ?? 10;
  return Math.ceil(ticks + (axis.gap ?? 5) + u.ctx.measureText(widest).width / devicePixelRatio + 4);
};

/**
 * A daily line chart (uPlot) with the same numbers as a table for screen readers and keyboard users: the canvas is
 * hidden from assistive technology, the table is what they read.
 */
export function DailyChart(props: {
  title: string;
  days: string[];
  series: { label: string; values: number[]; color: string }[];
  format?: (v: number) => string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || props.days.length === 0) return;
    const xs = props.days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const width = Math.max(280, el.clientWidth);
    const plot = new uPlot(
      {
        width,
        height: 220,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [{}, { values: (_u, vals) => vals.map((v) => (props.format ? props.format(v) : String(v))), size: labelRoom }],
        series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, value: (_u: uPlot, v: number | null) => (v === null ? '—' : props.format ? props.format(v) : String(v)) }))],
      },
      [xs, ...props.series.map((s) => s.values)],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.days, props.series, props.format]);
  return (
    <figure className="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={box} aria-hidden="true" className="chart-canvas" />
      <details className="chart-table">
        <summary>{`${props.title}: the numbers`}</summary>
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Day</th>
                {props.series.map((s) => (
                  <th scope="col" key={s.label} className="numeric">
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {props.days.map((d, i) => (
                <tr key={d}>
                  <th scope="row">{d}</th>
                  {props.series.map((s) => (
                    <td key={s.label} className="numeric">
                      {props.format ? props.format(s.values[i] ?? 0) : String(s.values[i] ?? 0)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
