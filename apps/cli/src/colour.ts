// Colour for terminal output: only when the stream is a terminal and NO_COLOR is not set (no-color.org), so piped
// output and tests see plain text. `paint` is for stdout, `paintErr` for stderr (each judged on its own stream).
const palette = (enabled: boolean) => {
  const sgr = (open: number, close: number) => (s: string) => (enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return { red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), dim: sgr(2, 22), bold: sgr(1, 22) };
};

export const paint = palette(!!process.stdout.isTTY && !process.env.NO_COLOR);
export const paintErr = palette(!!process.stderr.isTTY && !process.env.NO_COLOR);
