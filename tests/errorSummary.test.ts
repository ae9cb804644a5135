import test from 'ava';
import { errorSummary, ERROR_SUMMARY_MAX } from '../lib/services/job/errorSummary.ts';

test('an error summary is the name and the message on one line', (t) => {
  t.is(errorSummary(new TypeError('first line\n  second line')), 'TypeError: first line second line');
});

test('an error summary longer than the limit is cut, and says so', (t) => {
  const summary = errorSummary(new Error('x'.repeat(2000)));
  t.is(summary.length, ERROR_SUMMARY_MAX);
  t.true(summary.endsWith('…'));
});

test('an error summary masks passwords as OOPS reports do', (t) => {
  t.is(errorSummary(new Error('cannot reach postgres://app:s3cret@db/jobs')), 'Error: cannot reach postgres://app:***@db/jobs');
});
