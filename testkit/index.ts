/**
 * Test and demo helpers: realistic Kinesis record factories and the seeded shop traffic model.
 * Only tests, benchmarks, the local demo and the load test import this folder; no service does.
 */
export { lambdaRecord, nextSequenceNumber, pageView, streamRecord } from './records';
export { TrafficModel, type TrafficOptions, type TrafficRecord } from './traffic';
