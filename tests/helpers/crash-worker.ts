/** E2E: make chosen workers die the way a crashed one does, to steer the page down a known path. */
import type { Page } from '@playwright/test';

/**
 * Every worker created with the name `name` dies on the `crashOn`-th message the page sends it
 * (1 = load, 2 = first embed) — an `error` event, then gone, as a worker killed for memory.
 * Calibration workers are named `calibrate:model:<id>` (one instance) or `calibrate:model:<id>#<n>`
 * (a pool's n-th): crashing the one-instance name leaves Auto only its pools to choose from.
 */
export async function crashWorkersNamed(page: Page, name: string, crashOn: number): Promise<void> {
  await page.addInitScript(
    ({ name, crashOn }) => {
      const Real = globalThis.Worker;
      globalThis.Worker = class extends Real {
        constructor(url: string | URL, opts?: WorkerOptions) {
          super(url, opts);
          if (opts?.name !== name) return;
          let sent = 0;
          const post = this.postMessage.bind(this);
          this.postMessage = ((...args: Parameters<Worker['postMessage']>) => {
            if (++sent === crashOn) {
              setTimeout(() => {
                this.dispatchEvent(new ErrorEvent('error', { message: 'out of memory (simulated crash)' }));
                this.terminate();
              });
              return;
            }
            post(...args);
          }) as Worker['postMessage'];
        }
      } as typeof Worker;
    },
    { name, crashOn },
  );
}
