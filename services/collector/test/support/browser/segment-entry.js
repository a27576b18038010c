// Bundled (esbuild, IIFE) into the test page: Segment's real analytics-next on window.AnalyticsBrowser.
import { AnalyticsBrowser } from '@segment/analytics-next';

window.AnalyticsBrowser = AnalyticsBrowser;
