import { expect } from '@open-wc/testing';
import { warmUp } from '../src/markdown/warm-up.js';

describe('warmUp (the markdown renderer, in idle time)', () => {
  it('runs one step per idle callback, touches nothing in the page, and only once per page', () => {
    const tasks: (() => void)[] = [];
    const before = document.body.innerHTML;
    warmUp((task) => tasks.push(task));
    let steps = 0;
    while (tasks.length > 0) {
      tasks.shift()!();
      steps++;
      expect(tasks.length, 'the next step waits for the next idle callback').to.be.at.most(1);
    }
    expect(steps).to.be.greaterThan(3);
    expect(document.body.innerHTML).to.equal(before);
    warmUp((task) => tasks.push(task));
    expect(tasks).to.deep.equal([]);
  });
});
