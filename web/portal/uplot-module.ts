// The chart library on its own (dist/web/refwire-portal/uplot.js, an ES module): about a third of the portal's code,
// fetched by ui/chart.tsx the first time a daily chart is drawn, so a page without one never loads it.
export { default } from 'uplot';
