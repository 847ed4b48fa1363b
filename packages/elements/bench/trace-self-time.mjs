/**
 * Self time by trace event name (an event's duration less its children's, ms) over complete ('X') events of one
 * thread sorted by start, longest first at equal starts: how much of a span is style, layout, paint or script.
 * Shared by profile.mjs (a whole run) and long-task-trace.mjs (each long task).
 */
export function selfTimeByEvent(events) {
  const self = new Map();
  /** @type {{ end: number, name: string }[]} */
  const stack = [];
  for (const e of events) {
    while (stack.length && stack[stack.length - 1].end <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - e.dur / 1000);
    self.set(e.name, (self.get(e.name) ?? 0) + e.dur / 1000);
    stack.push({ end: e.ts + e.dur, name: e.name });
  }
  return self;
}
