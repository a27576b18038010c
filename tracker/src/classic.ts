import { createTracker } from './tracker';

/**
 * The classic-script build: defines `window.clickstream`. With `data-endpoint` on the script
 * tag it also initializes itself:
 *   <script src="http://127.0.0.1:4571/tracker.js" data-endpoint="http://127.0.0.1:4571"></script>
 */
const tracker = createTracker(window);
(window as Window & { clickstream?: typeof tracker }).clickstream = tracker;
const script = document.currentScript as HTMLScriptElement | null;
if (script?.dataset.endpoint) {
  tracker.init({ endpoint: script.dataset.endpoint, ...(script.dataset.writeKey ? { writeKey: script.dataset.writeKey } : {}) });
}
