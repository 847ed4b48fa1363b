/** axe-core (WCAG 2.x A/AA tags) run on an element in the test page; returns the violations, one line each. */
interface AxeResult {
  violations: { id: string; impact: string; nodes: { target: unknown }[] }[];
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
  const result = await window.axe!.run(element, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
  });
  return result.violations.map((v) => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes.map((n) => n.target))}`);
}
