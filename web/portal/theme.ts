import type { Appearance } from './api';

const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/** Only #rgb and #rrggbb reach the stylesheet: a merchant's setting must never become arbitrary CSS. */
export function safeColor(value: string | null | undefined): string | null {
  return value && HEX.test(value.trim()) ? value.trim() : null;
}

function rgb(hex: string): [number, number, number] {
  const h = hex.length === 4 ? hex.slice(1).split('').map((c) => c + c).join('') : hex.slice(1);
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number];
}

function luminance(hex: string): number {
  const [r, g, b] = rgb(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Text on a merchant's colour: whichever of white or near-black contrasts more (WCAG's ratio). */
export function onColor(hex: string): string {
  const l = luminance(hex);
  return (1.05 / (l + 0.05) >= (l + 0.05) / 0.05) ? '#ffffff' : '#111827';
}

/** A darker shade for text in the merchant's colour on white, when theirs is too light to read (≥ 4.5:1). */
function readableOnWhite(hex: string): string {
  let [r, g, b] = rgb(hex);
  for (let i = 0; i < 20; i++) {
    const h = `#${[r, g, b].map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
    if (1.05 / (luminance(h) + 0.05) >= 4.5) return h;
    r *= 0.85;
    g *= 0.85;
    b *= 0.85;
  }
  return '#111827';
}

export function themeCss(appearance: Appearance | undefined): string {
  const primary = safeColor(appearance?.primary_color) ?? '#4f46e5';
  const secondary = safeColor(appearance?.secondary_color) ?? '#eef2ff';
  const font = safeColor(appearance?.font_color);
  const vars = [
    `--rw-primary:${primary}`,
    `--rw-on-primary:${onColor(primary)}`,
    `--rw-primary-text:${readableOnWhite(primary)}`,
    `--rw-secondary:${secondary}`,
    `--rw-on-secondary:${onColor(secondary)}`,
  ];
  if (font) vars.push(`--rw-text:${readableOnWhite(font)}`);
  return `:host{${vars.join(';')}}`;
}
