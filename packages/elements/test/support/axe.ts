/** axe-core (WCAG 2.x A/AA tags) run on an element in the test page; returns the violations, one line each. */
interface AxeResult {
  violations: { id: string; impact: string; nodes: { target: unknown; failureSummary?: string }[] }[];
}
declare global {
  interface Window {
    axe?: { run: (context: Element, options: object) => Promise<AxeResult> };
  }
}

export async function axe(element: Element): Promise<string[]> {
  if (!window.axe) {
    await new Promise<void>((resolve, reject) => {
      const script = document.createElement('script');
      script.src = '/node_modules/axe-core/axe.min.js';
      script.onload = () => resolve();
      script.onerror = () => reject(new Error('axe-core did not load'));
      document.head.append(script);
    });
  }
  // Check what a user sees: a rendered frame. Blocks with content-visibility:auto (an answer that streamed in
  // this view) keep their placeholder size until the next rendering step decides they are on screen; axe
  // measuring before it found the action buttons "partially obscured" by a paragraph still 1.5em tall.
  await new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
  const result = await window.axe!.run(element, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
  });
  return result.violations.map(
    (v) => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes.map((n) => [n.target, n.failureSummary]))}`,
  );
}
