import { createTracker } from './tracker';

export type { Clickstream, TrackerOptions } from './tracker';

/** The ES-module build: `import { clickstream } from '<collectorUrl>/tracker.mjs'`. */
export const clickstream = createTracker(window);
export default clickstream;
