// Colour for terminal output: only when stdout is a terminal and NO_COLOR is not set (no-color.org), so piped
// output and tests see plain text.
const enabled = !!process.stdout.isTTY && !process.env.NO_COLOR;

const sgr = (open: number, close: number) => (s: string) => (enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s);

export const paint = {
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  dim: sgr(2, 22),
  bold: sgr(1, 22),
};
