/**
 * The page's side of the service worker (src/sw.ts): registers it in production builds only
 * (in dev it would fight hot reload), and turns "a new version has installed and is waiting"
 * into a prompt. The new version takes over only when the person agrees — and, if an embedding
 * job or a model download is running then, only after it has finished — so a tab never runs half of one
 * version and half of the other, and no job is cut short by the update.
 */
import { Workbox } from 'workbox-window';
import { collections } from './collections.svelte.ts';
import { models } from './models.svelte.ts';

class Pwa {
  /** A new version is installed and waiting for the person's go-ahead. */
  updateAvailable = $state(false);
  /** The person agreed; we are waiting for running jobs to finish before reloading. */
  updateRequested = $state(false);
  /** The app shell and embedded models are stored: the app now works offline. */
  offlineReady = $state(false);
  error = $state<string | null>(null);
  private wb: Workbox | null = null;

  /** Work a reload would cut short: embedding jobs, and models still loading (a hub download). */
  get jobsRunning(): number {
    return Object.keys(collections.running).length + models.list.filter((m) => m.status === 'loading').length;
  }

  async register(): Promise<void> {
    if (!('serviceWorker' in navigator)) return;
    const wb = new Workbox(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL });
    this.wb = wb;
    wb.addEventListener('waiting', () => (this.updateAvailable = true));
    wb.addEventListener('activated', (e) => {
      if (!e.isUpdate) this.offlineReady = true;
    });
    // A first install that fails (most often: not enough storage for the 77 MB offline copy).
    wb.addEventListener('redundant', () => {
      if (!this.offlineReady) this.error = 'The offline copy of the app could not be stored (is the disk full?). Everything works online, and nothing you stored was touched.';
    });
    // The new version took control (here, or after the person agreed in another tab): reload
    // so this tab runs it too, instead of mixing old code with new files. Listened to on the
    // container, not through workbox-window: a version found by a later update check counts
    // as "external" there and gets no 'controlling' event. The first install's claim is not
    // an update: nothing to reload.
    let controlled = navigator.serviceWorker.controller !== null;
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (controlled) location.reload();
      controlled = true;
      this.offlineReady = true;
    });
    try {
      await wb.register();
      if (navigator.serviceWorker.controller) this.offlineReady = true;
    } catch (err) {
      this.error = `Offline use is not available: the service worker could not be installed (${(err as Error).message}).`;
    }
  }

  /** The person said "reload": apply now, or as soon as running jobs have finished. */
  requestUpdate(): void {
    this.updateRequested = true;
    this.applyWhenIdle();
  }

  /** Called again whenever a job ends (see UpdatePrompt.svelte). */
  applyWhenIdle(): void {
    if (!this.updateRequested || this.jobsRunning > 0 || !this.wb) return;
    this.wb.messageSkipWaiting(); // → 'controlling' → reload
  }
}

export const pwa = new Pwa();
