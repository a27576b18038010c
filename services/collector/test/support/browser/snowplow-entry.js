// Bundled (esbuild, IIFE) into the test page: Snowplow's real browser tracker on window.snowplow.
import { newTracker, setUserId, trackPageView, trackSelfDescribingEvent, trackStructEvent } from '@snowplow/browser-tracker';

window.snowplow = { newTracker, setUserId, trackPageView, trackSelfDescribingEvent, trackStructEvent };
