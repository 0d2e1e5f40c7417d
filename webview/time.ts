/**
 * The panel's one way of writing a time: a 24-hour clock with milliseconds (`14:03:07.215`), and
 * with the date in front (`2026-12-06 14:03:07.215`) where a row's time needs its day. Local time.
 */

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** `14:03:07.215`: the Time column. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** `2026-12-06 14:03:07.215`: the same clock with its date, for the details pane. */
export function dateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clockTime(ms)}`;
}
