import { Component, CUSTOM_ELEMENTS_SCHEMA, signal } from '@angular/core';
import type { LlcElementEventMap } from '@locallightchat/elements';

/**
 * `<llc-chat>` in an Angular template. CUSTOM_ELEMENTS_SCHEMA lets the template use elements Angular does not
 * know; `[dev]` sets a property, `token-url` an attribute, and `(llc-send)` listens to the element's event.
 */
@Component({
  selector: 'app-root',
  schemas: [CUSTOM_ELEMENTS_SCHEMA],
  template: `
    <main>
      <p data-testid="sent-count">Sent: {{ sent() }}</p>
      <!-- dev + the relay's dev token endpoint (llc-relay --dev); in production your endpoint (docs/auth.md) -->
      <llc-chat [dev]="true" token-url="/auth/dev-token" (llc-send)="onSend($event)"></llc-chat>
    </main>
  `,
  styles: `
    main {
      font-family: system-ui, sans-serif;
    }
    llc-chat {
      display: block;
      height: 85vh;
    }
  `,
})
export class App {
  readonly sent = signal(0);

  onSend(event: LlcElementEventMap['llc-send']): void {
    if (event.detail.text.length > 0) this.sent.update((n) => n + 1);
  }
}
